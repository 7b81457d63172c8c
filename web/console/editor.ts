// The PromQL editor: CodeMirror 6 with Prometheus' own PromQL language package (highlighting, linting and
// completion). Completion of metric names, label names and values asks promdog's query API with the signed-in key.
import { EditorView, keymap, placeholder, drawSelection } from '@codemirror/view';
import { EditorState, Prec } from '@codemirror/state';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import {
  autocompletion,
  closeBrackets,
  closeBracketsKeymap,
  closeCompletion,
  completionKeymap,
} from '@codemirror/autocomplete';
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { lintKeymap } from '@codemirror/lint';
import { PromQLExtension } from '@prometheus-io/codemirror-promql';
import { authorizedFetch } from './api.js';

export interface PromQLEditor {
  /** Closes the completion list and calls onRun (what Ctrl/Cmd+Enter does). */
  run(): void;
  value(): string;
  setValue(expr: string): void;
  focus(): void;
  destroy(): void;
}

export function createPromQLEditor(parent: HTMLElement, initial: string, onRun: () => void): PromQLEditor {
  const promql = new PromQLExtension().setComplete({
    remote: {
      url: '',
      // The default client POSTs to /api/v1/series, which promdog's Datadog intake shares; GET is unambiguous.
      httpMethod: 'GET',
      fetchFn: (input, init) => authorizedFetch(input, init),
      lookbackInterval: 12 * 3600 * 1000,
      cache: { maxAge: 60_000 },
    },
  });
  const run = (view: EditorView) => {
    closeCompletion(view);
    onRun();
    return true;
  };
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: initial,
      extensions: [
        Prec.highest(keymap.of([{ key: 'Mod-Enter', run }])),
        history(),
        drawSelection(),
        closeBrackets(),
        bracketMatching(),
        autocompletion(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        placeholder('PromQL expression, e.g. system_cpu_user  (Ctrl/Cmd+Enter runs it)'),
        EditorView.lineWrapping,
        keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap, ...lintKeymap]),
        promql.asExtension(),
      ],
    }),
  });
  return {
    run: () => run(view),
    value: () => view.state.doc.toString(),
    setValue: (expr) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: expr } }),
    focus: () => view.focus(),
    destroy: () => {
      promql.destroy();
      view.destroy();
    },
  };
}
