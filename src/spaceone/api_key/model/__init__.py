from spaceone.api_key.model.api_key_model import APIKey
from spaceone.api_key.model.domain_secret_model import DomainSecret
