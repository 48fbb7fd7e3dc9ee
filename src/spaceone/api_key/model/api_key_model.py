from mongoengine import DateTimeField, StringField

from spaceone.core.model.mongo_model import MongoModel

STATES = ("ENABLED", "DISABLED")
OWNER_TYPES = ("USER", "APP")


class APIKey(MongoModel):
    """An API key's record. The key itself is never stored, only its claims' sources.

    Times are naive datetimes in UTC, as pymongo returns them.
    """

    # Indexes are created by model/indexes.py once the server has validated its configuration.
    auto_create_index = False

    api_key_id = StringField(max_length=64, required=True, unique=True)
    name = StringField(max_length=255, default="")
    state = StringField(max_length=20, choices=STATES, default="ENABLED")
    owner_type = StringField(max_length=20, choices=OWNER_TYPES, default="USER")
    user_id = StringField(max_length=255, default=None, null=True)
    app_id = StringField(max_length=255, default=None, null=True)
    domain_id = StringField(max_length=64, required=True)
    created_at = DateTimeField(required=True)
    last_accessed_at = DateTimeField(default=None, null=True)
    expired_at = DateTimeField(required=True)

    meta = {
        "collection": "api_key",
        "updatable_fields": ["name", "state", "last_accessed_at"],
        "ordering": ["-created_at", "api_key_id"],
        # list and stat always filter on domain_id first, then on state and owner.
        "indexes": [
            {"fields": ["domain_id", "state", "user_id"], "name": "domain_state_user"},
            {"fields": ["domain_id", "user_id", "state"], "name": "domain_user_state"},
            {"fields": ["domain_id", "created_at"], "name": "domain_created_at"},
        ],
    }
