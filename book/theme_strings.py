"""A Sphinx extension: the book theme's own buttons in the Chinese edition ("Repository", ...).

sphinx-book-theme 1.3 asks its message catalogue for "Repository", "Open issue", "Source
repositories", "Launch interactive content", ..., but its catalogues hold these messages in
lower case ("repository", "open issue"), so the header's repository menu stayed English on the
Chinese site. This extension gives the theme's translator a fallback that looks a message up
again, in lower case, in the theme's own catalogue: the Chinese text is the theme's, none is
typed here. Messages the catalogue has as asked, and the English build, are unchanged.

sphinx-proof names its index page with a plain string, not a translatable message
(``ProofIndex.localname = "Proof Index"``), so the Chinese site's page ``prf-prf.html`` had an
English title; in a zh_CN build ``translate_proof_index`` sets the glossary's Chinese name.
Loaded by _config.yml (sphinx: local_extensions).
"""

from gettext import NullTranslations

from sphinx.locale import translators

THEME_CATALOGUE = ("general", "booktheme")  # sphinx_book_theme.MESSAGE_CATALOG_NAME


class LowerCaseLookup(NullTranslations):
    """A gettext fallback: `catalogue`'s translation of the message in lower case."""

    def __init__(self, catalogue: dict):
        super().__init__()
        self.catalogue = catalogue

    def gettext(self, message: str) -> str:
        for key in (message[:1].lower() + message[1:], message.lower()):
            if self.catalogue.get(key):
                return self.catalogue[key]
        return message


def add_lower_case_lookup(app) -> None:
    translator = translators.get(THEME_CATALOGUE)
    catalogue = getattr(translator, "_catalog", None)
    if catalogue:  # a real catalogue (not NullTranslations: English, or no theme catalogue)
        translator.add_fallback(LowerCaseLookup(dict(catalogue)))


# Strings extensions hard-code instead of asking gettext, and their Chinese in the zh_CN build.
HARD_CODED_ZH = {"Proof Index": "证明索引"}


def translate_proof_index(app) -> None:
    if app.config.language != "zh_CN":
        return
    from sphinx_proof.domain import ProofIndex

    ProofIndex.localname = HARD_CODED_ZH.get(ProofIndex.localname, ProofIndex.localname)


def setup(app):
    app.connect("builder-inited", add_lower_case_lookup)
    app.connect("builder-inited", translate_proof_index)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
