"""A Sphinx extension: translate the part captions of _toc.yml ("Foundations", ...).

sphinx-external-toc inserts the toctrees (with their captions) in a transform of priority
100, after Sphinx's own i18n transform (priority 20) has translated the page, so the
captions stayed English on the Chinese site although the gettext catalogue of the root page
(book/intro.po) holds them. This transform runs right after the toctrees are inserted and
translates their captions from the page's catalogue; in an English build it does nothing.
Loaded by _config.yml (sphinx: local_extensions).
"""

from os import path

from sphinx import addnodes
from sphinx.locale import init as init_locale
from sphinx.transforms import SphinxTransform
from sphinx.util.i18n import docname_to_domain


class TranslateTocCaptions(SphinxTransform):
    default_priority = 101  # sphinx_external_toc.events.InsertToctrees is 100

    def apply(self, **kwargs) -> None:
        language = self.config.language
        if not language or language == "en":
            return
        domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
        dirs = [path.join(self.env.srcdir, d) for d in self.config.locale_dirs]
        catalog, found = init_locale(dirs, language, domain)
        if not found:
            return
        for node in self.document.findall(addnodes.toctree):
            if node.get("caption"):
                node["caption"] = catalog.gettext(node["caption"])


def setup(app):
    app.add_transform(TranslateTocCaptions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
