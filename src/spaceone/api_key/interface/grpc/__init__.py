from spaceone.api_key.interface.grpc.api_key import APIKey
from spaceone.api_key.interface.grpc.server import APIKeyGRPCServer

__all__ = ["app"]

app = APIKeyGRPCServer()
app.add_service(APIKey)
