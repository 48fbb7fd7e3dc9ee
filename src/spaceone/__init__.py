# A namespace shared with spaceone-core and spaceone-api.
__path__ = __import__("pkgutil").extend_path(__path__, __name__)
