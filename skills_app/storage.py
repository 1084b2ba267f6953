from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed static files; also rewrites ES module imports so that
    muster.js imports the hashed govuk-frontend bundle (cacheable for a year)."""

    support_js_module_import_aggregation = True
