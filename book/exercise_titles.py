"""A Sphinx extension: the titles of exercises (```{exercise} Title```) are translatable.

sphinx-exercise builds an exercise's title from its argument ("Write the update yourself")
as a subtitle node without a source or raw text, and Sphinx's gettext extraction skips such
nodes as built-in text; the Chinese site therefore showed "练习 1 (Write the update
yourself)". Here the exercise directives wrap the subtitle's text in an inline node marked
``translatable`` with the title's source, line and raw text: the gettext builder extracts it
into the page's catalogue (it survives sphinx-exercise's post-transforms, which replace the
subtitle node itself before the builder looks), and Sphinx's Locale transform (priority 20)
replaces its text with the msgstr; Sphinx's RemoveTranslatableInline then unwraps it. sphinx-exercise also keeps a copy of
each exercise node, taken when the directive ran, from which it writes the titles of the
solutions ("解答 练习 1 (...)"); a second transform puts the translated title into that
copy. In an English build the second transform changes nothing.
Loaded by _config.yml (sphinx: local_extensions); written for sphinx-exercise 1.2.
"""

from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx_exercise.directive import ExerciseDirective, ExerciseStartDirective
from sphinx_exercise.nodes import exercise_enumerable_node, exercise_node, exercise_subtitle


def _with_translatable_title(directive):
    class Directive(directive):
        def run(self):
            result = super().run()
            if self.arguments:
                source, line = self.state_machine.get_source_and_line(self.lineno)
                for node in result:
                    for subtitle in node[0].findall(exercise_subtitle):
                        text = nodes.inline(self.arguments[0], "", *subtitle.children)
                        text["translatable"] = True
                        text.source, text.line = source, line
                        subtitle.children = []
                        subtitle += text
            return result

    Directive.__name__ = f"Translatable{directive.__name__}"
    return Directive


class TranslatedTitlesForSolutions(SphinxTransform):
    """Copy each translated exercise title into sphinx-exercise's registry of exercises."""

    default_priority = 21  # sphinx.transforms.i18n.Locale is 20

    def apply(self, **kwargs) -> None:
        registry = getattr(self.env, "sphinx_exercise_registry", {})
        for node in self.document.findall(
            lambda n: isinstance(n, (exercise_node, exercise_enumerable_node))
        ):
            title = node[0]
            translated = any(
                text.get("translated")
                for subtitle in title.findall(exercise_subtitle)
                for text in subtitle.findall(nodes.inline)
            )
            entry = registry.get(node.get("label"))
            if translated and entry is not None:
                copy = title.deepcopy()
                for text in list(copy.findall(nodes.inline)):
                    if "translatable" in text:  # unwrapped in the page later (priority 999)
                        text.replace_self(text.children)
                entry["node"].children[0] = copy
                copy.parent = entry["node"]


def setup(app):
    app.setup_extension("sphinx_exercise")
    app.add_directive("exercise", _with_translatable_title(ExerciseDirective), override=True)
    app.add_directive(
        "exercise-start", _with_translatable_title(ExerciseStartDirective), override=True
    )
    app.add_transform(TranslatedTitlesForSolutions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
