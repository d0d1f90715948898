// The explorer's program editor: CodeMirror 6 with line numbers, the
// assembler's syntax highlighted, errors marked in the gutter and under
// their line, and the line of a chosen instruction marked. esbuild bundles
// this into the site's editor.js; the yew app calls it through
// `window.l4Editor` (web-ui/src/components/editor.rs), and keeps a plain
// textarea if it is missing.
import { EditorState, StateEffect, StateField, RangeSetBuilder } from "@codemirror/state";
import { EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, Decoration, drawSelection } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { StreamLanguage, syntaxHighlighting, HighlightStyle, bracketMatching } from "@codemirror/language";
import { tags } from "@lezer/highlight";
import { lintGutter, setDiagnostics } from "@codemirror/lint";

const REGISTERS = new Set(("eax ebx ecx edx esi edi ebp esp eip ax bx cx dx si di bp sp al ah bl bh cl ch dl dh " +
  "cs ds es fs gs ss cr0 cr2 cr3 cr4 dr0 dr1 dr2 dr3 dr6 dr7").split(" "));
const DIRECTIVES = new Set(("section segment global extern equ db dw dd dq resb resw resd resq times align bits org " +
  "byte word dword qword ptr near far short").split(" "));

// The project's assembler's syntax (docs/ASSEMBLER.md): `;` comments,
// `%` preprocessor lines, labels ending in `:`, an instruction or directive,
// operands with registers, numbers and strings.
const assembly = StreamLanguage.define({
  name: "l4-assembly",
  startState: () => ({ first: true }),
  token(stream, state) {
    if (stream.sol()) state.first = true;
    if (stream.eatSpace()) return null;
    if (stream.peek() === ";") { stream.skipToEnd(); return "comment"; }
    if (stream.match(/^"([^"\\]|\\.)*"?/) || stream.match(/^'([^'\\]|\\.)*'?/)) return "string";
    if (stream.match(/^%%?[A-Za-z_][\w.]*/)) return "meta";
    if (stream.match(/^(0x[0-9a-fA-F_]+|[0-9][0-9a-fA-F_]*h\b|[0-9][0-9_]*)/)) return "number";
    const word = stream.match(/^[A-Za-z_.$?@][\w.$?@]*/);
    if (word) {
      const text = word[0].toLowerCase();
      if (stream.peek() === ":") { stream.next(); state.first = true; return "def"; }
      if (REGISTERS.has(text)) return "atom";
      if (DIRECTIVES.has(text)) return "keyword";
      if (state.first) { state.first = false; return "keyword"; }
      return "variable";
    }
    stream.next();
    return null;
  },
});

// Colours from the page's own palette (style.css), which holds 4.5:1 or more
// against the background in both themes; CodeMirror's default style is made
// for a light background only.
const highlightStyle = HighlightStyle.define([
  { tag: tags.comment, color: "var(--muted)", fontStyle: "italic" },
  { tag: [tags.keyword, tags.meta], color: "var(--accent)" },
  { tag: tags.definition(tags.variableName), color: "var(--accent)", fontWeight: "bold" },
  { tag: [tags.string, tags.number], color: "var(--machine)" },
  { tag: tags.atom, color: "var(--text)", fontWeight: "bold" },
  { tag: tags.variableName, color: "var(--text)" },
]);

// Lines to mark: the source lines of the instruction chosen in the code view.
const markLines = StateEffect.define();
const markedLines = StateField.define({
  create: () => Decoration.none,
  update(decorations, transaction) {
    decorations = decorations.map(transaction.changes);
    for (const effect of transaction.effects) {
      if (!effect.is(markLines)) continue;
      const builder = new RangeSetBuilder();
      const doc = transaction.state.doc;
      for (const number of [...effect.value].sort((a, b) => a - b)) {
        if (number >= 1 && number <= doc.lines) {
          const line = doc.line(number);
          builder.add(line.from, line.from, Decoration.line({ class: "cm-chosen-line" }));
        }
      }
      decorations = builder.finish();
    }
    return decorations;
  },
  provide: (field) => EditorView.decorations.from(field),
});

const theme = EditorView.theme({
  "&": { color: "var(--text)", backgroundColor: "var(--background)", border: "1px solid var(--border)", borderRadius: "4px", fontSize: ".78rem" },
  ".cm-content": { fontFamily: "var(--mono)", caretColor: "var(--text)" },
  ".cm-gutters": { backgroundColor: "var(--surface)", color: "var(--muted)", borderRight: "1px solid var(--border)" },
  ".cm-activeLine": { backgroundColor: "color-mix(in srgb, var(--current) 60%, transparent)" },
  ".cm-activeLineGutter": { backgroundColor: "var(--current)" },
  ".cm-chosen-line": { backgroundColor: "var(--changed)", outline: "1px solid var(--orange)" },
  "&.cm-focused": { outline: "3px solid var(--focus)" },
  ".cm-scroller": { minHeight: "18rem" },
});

/**
 * Make an editor in `parent`. `options.text`: the source; `options.label`:
 * its accessible name; `options.onChange(text)`, `options.onCursorLine(n)`,
 * `options.onAssemble(text)` (Ctrl-Enter). Returns a handle for the functions
 * below, also kept as `parent.l4Editor` (the browser tests read the text there).
 */
function create(parent, options) {
  let quiet = false;
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: options.text ?? "",
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightActiveLine(),
        drawSelection(),
        history(),
        bracketMatching(),
        assembly,
        syntaxHighlighting(highlightStyle),
        lintGutter(),
        markedLines,
        theme,
        keymap.of([
          { key: "Mod-Enter", run: (view) => { options.onAssemble?.(view.state.doc.toString()); return true; } },
          ...defaultKeymap,
          ...historyKeymap,
        ]),
        EditorView.contentAttributes.of({ "data-test": "editor-text", "aria-label": options.label ?? "Program source" }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged && !quiet) options.onChange?.(update.state.doc.toString());
          if (update.selectionSet || update.docChanged) {
            const head = update.state.selection.main.head;
            options.onCursorLine?.(update.state.doc.lineAt(head).number);
          }
        }),
      ],
    }),
  });
  const handle = { view, setQuiet: (value) => { quiet = value; } };
  parent.l4Editor = handle;
  return handle;
}

/** Replace the whole text (a program switched, a reset) without reporting a change. */
function setText(handle, text) {
  const view = handle.view;
  if (view.state.doc.toString() === text) return;
  handle.setQuiet(true);
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
  handle.setQuiet(false);
}

function getText(handle) {
  return handle.view.state.doc.toString();
}

/** Mark errors: [{ line, column, message }] (1-based). */
function setErrors(handle, errors) {
  const doc = handle.view.state.doc;
  const diagnostics = errors.filter((error) => error.line >= 1 && error.line <= doc.lines).map((error) => {
    const line = doc.line(error.line);
    const from = Math.min(line.from + Math.max(0, (error.column || 1) - 1), line.to);
    return { from, to: Math.max(from, line.to), severity: "error", message: error.message };
  });
  handle.view.dispatch(setDiagnostics(handle.view.state, diagnostics));
  handle.view.contentDOM.setAttribute("aria-invalid", String(diagnostics.length > 0));
}

/** Mark these (1-based) lines, e.g. the source of an instruction, and bring the first into sight. */
function markSourceLines(handle, lines) {
  handle.view.dispatch({ effects: markLines.of(lines) });
  if (lines.length > 0) {
    const doc = handle.view.state.doc;
    const line = doc.line(Math.min(Math.max(1, lines[0]), doc.lines));
    handle.view.dispatch({ effects: EditorView.scrollIntoView(line.from, { y: "nearest" }) });
  }
}

function destroy(handle) {
  handle.view.destroy();
}

window.l4Editor = { create, setText, getText, setErrors, markSourceLines, destroy };
