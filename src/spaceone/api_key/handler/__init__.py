"""Authentication and authorization of the APIKey methods, as spaceone-core handlers.

conf/global_conf.py lists both in HANDLERS; startup.apply_auth_setting checks
that they are configured, or turns them off for development only.
"""
