name = "api_key"
