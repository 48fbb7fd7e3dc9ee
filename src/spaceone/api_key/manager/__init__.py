from spaceone.api_key.manager.api_key_manager import APIKeyManager
from spaceone.api_key.manager.domain_secret_manager import DomainSecretManager
from spaceone.api_key.manager.verify_manager import VerifyManager, VerifyOutcome, VerifyRecord
