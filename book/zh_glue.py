"""A Sphinx extension: glued numbers ({glue:text}`key:fmt`) inside translated notebook text.

Sphinx translates a paragraph by parsing its msgstr as a small document of its own; for a
notebook, myst-nb parses that as plain MyST, without the notebook's glue data, so every
{glue:text} role in a translated paragraph failed ("No key ... found in glue data for this
document") and the Chinese build stopped on the warning. By then myst-nb has written the
notebook's glue data to its cache folder (``<key>.glue.json``, read the same way by its
cross-document glue references); this extension lets the glue roles of a translated
paragraph read the current notebook's values from there. Other documents and the English
build are untouched. Written for myst-nb 1.4 (requirements.txt pins it).
"""

from myst_nb.core.variables import RetrievalError, VariableOutput
from myst_nb.ext.glue import roles
from myst_nb.ext.glue.crossref import read_glue_cache

_retrieve = roles.retrieve_glue_data


def retrieve_glue_data(document, key: str) -> VariableOutput:
    """myst-nb's lookup, falling back to the glue cache of the page being translated."""
    try:
        return _retrieve(document, key)
    except RetrievalError:
        env = getattr(document.settings, "env", None)
        translated = str(document.get("source", "")).endswith("<translated>")
        if env is None or not translated or "nb_renderer" in document:
            raise
        data = read_glue_cache(env.mystnb_config.output_folder, env.docname)
        if key not in data:
            raise
        return VariableOutput(
            data=data[key]["data"],
            metadata=data[key].get("metadata", {}),
            nb_renderer=None,  # enough for {glue:text}, the only glue role the book uses
            vtype="glue",
        )


def setup(app):
    roles.retrieve_glue_data = retrieve_glue_data
    return {"parallel_read_safe": True, "parallel_write_safe": True}
