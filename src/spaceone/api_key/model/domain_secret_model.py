from mongoengine import DateTimeField, DictField, StringField

from spaceone.core.model.mongo_model import MongoModel


class DomainSecret(MongoModel):
    """A domain's RSA key pair as JWKs, in the identity service's shape.

    The unique index on domain_id is what makes concurrent first uses of a
    domain end with one key pair: the losing insert fails and re-reads.
    """

    # Indexes are created by model/indexes.py once the server has validated its configuration.
    auto_create_index = False

    domain_id = StringField(max_length=64, required=True, unique=True)
    pub_jwk = DictField(required=True)
    prv_jwk = DictField(required=True)
    created_at = DateTimeField(required=True)

    meta = {"collection": "domain_secret"}
