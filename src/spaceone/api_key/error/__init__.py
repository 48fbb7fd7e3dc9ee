from spaceone.api_key.error.api_key import *
