"""Call any method of a gRPC server through server reflection, with no stubs: a JSON request in, JSON out.

    python tools/grpc_call.py 127.0.0.1:50051 APIKey.create '{"user_id": "u1", "domain_id": "d1"}'

A token, when given with --token or the SPACEONE_TOKEN variable, travels as the
metadata "token". Errors print as "<status code>: <details>" and exit with 1.
"""

import argparse
import json
import os
import sys

from google.protobuf.json_format import MessageToDict
from spaceone.core import pygrpc
from spaceone.core.error import ERROR_BASE


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("endpoint", help="host:port of the gRPC server")
    parser.add_argument("method", help="Service.method, such as APIKey.list")
    parser.add_argument("request", nargs="?", default="{}", help="the request message as JSON")
    parser.add_argument("--token", default=os.environ.get("SPACEONE_TOKEN"), help="token sent as metadata")
    args = parser.parse_args()

    service_name, method_name = args.method.split(".", 1)
    metadata = (("token", args.token),) if args.token else ()
    try:
        client = pygrpc.client(endpoint=args.endpoint)
        method = getattr(getattr(client, service_name), method_name)
        response = method(json.loads(args.request), metadata=metadata)
    except ERROR_BASE as error:
        print(f"{error.status_code}: {error.message.strip()}", file=sys.stderr)
        return 1

    print(json.dumps(MessageToDict(response, preserving_proto_field_name=True), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
