"""The HTML export's warm-up: the runner exports a small notebook in a thread of its own while
the first kernel runs, and every thread's exporter then uses the templates compiled once."""

from __future__ import annotations

import threading

import jinja2

from evalkit.document import html


def _in_thread(function):
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("value", function()))
    thread.start()
    thread.join()
    return result["value"]


def test_the_warm_up_notebook_takes_the_paths_a_document_takes():
    page = html.export_html(html._warm_up_notebook(), "Tittel", lang="nb")
    # Markdown (heading, emphasis, list, table), an HTML table output and a figure
    for part in ("<h1", "<em>kursiv</em>", "<li>punkt</li>", "<td", 'class="evalkit-table"',
                 'figure class="evalkit-figure"', 'lang="nb"'):  # fmt: skip
        assert part in page, part


def test_a_threads_exporter_compiles_no_template_another_has_compiled(monkeypatch):
    notebook = html._warm_up_notebook()
    first = _in_thread(lambda: html.export_html(notebook, "Tittel", lang="nb"))
    compiled = []
    real = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        compiled.append(name)
        return real(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    second = _in_thread(lambda: html.export_html(notebook, "Tittel", lang="nb"))
    assert compiled == []
    assert second == first
    # a template whose source is not the one compiled is compiled anew (Jinja's checksum)
    env = jinja2.Environment(
        loader=jinja2.DictLoader({"t.j2": "{{ 1 + 1 }}"}),
        bytecode_cache=html._compiled_templates(),
    )
    assert env.get_template("t.j2").render() == "2"
    env = jinja2.Environment(
        loader=jinja2.DictLoader({"t.j2": "{{ 2 + 2 }}"}),
        bytecode_cache=html._compiled_templates(),
    )
    assert env.get_template("t.j2").render() == "4"
    assert compiled.count("t.j2") == 2
