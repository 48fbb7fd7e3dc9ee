from spaceone.api_key.service.api_key_service import APIKeyService
