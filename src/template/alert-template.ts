// STAND-IN for the real src/template (Go text/template with Prometheus' functions), which another branch builds to
// the same interface; the lead replaces this file with it at merge. It parses only `{{ … }}` balance and expands
// `$labels.x` / `.Labels.x`, `$externalLabels.x`, `$externalURL` and `$value` / `.Value`; any other action fails
// at expansion (the ruler shows that as Prometheus shows a template error) until the real engine lands.

/** A sample as the template `query` function returns it (Prometheus' `queryResult` element). */
export interface TemplateSample {
  labels: Record<string, string>;
  value: number;
}

/** Runs an instant PromQL query at the evaluation time for the template's `query` function. */
export type TemplateQuery = (expr: string) => Promise<TemplateSample[]>;

export interface AlertTemplateData {
  labels: Record<string, string>;
  externalLabels: Record<string, string>;
  externalURL: string;
  value: number | string;
}

export class TemplateError extends Error {
  override name = 'TemplateError';
}

type Piece = { text: string } | { action: string; line: number };

export class AlertTemplate {
  private constructor(
    private readonly name: string,
    private readonly pieces: Piece[],
  ) {}

  /** Parses once; throws TemplateError worded like Go's (`template: NAME:LINE: unclosed action`). */
  static parse(name: string, text: string): AlertTemplate {
    const pieces: Piece[] = [];
    let pos = 0;
    for (;;) {
      const open = text.indexOf('{{', pos);
      if (open < 0) break;
      if (open > pos) pieces.push({ text: text.slice(pos, open) });
      const line = text.slice(0, open).split('\n').length;
      const close = text.indexOf('}}', open + 2);
      if (close < 0) throw new TemplateError(`template: ${name}:${line}: unclosed action`);
      pieces.push({
        action: text
          .slice(open + 2, close)
          .replace(/^-\s|\s-$/g, '')
          .trim(),
        line,
      });
      pos = close + 2;
    }
    if (pos < text.length) pieces.push({ text: text.slice(pos) });
    return new AlertTemplate(name, pieces);
  }

  async expand(data: AlertTemplateData, _timestampMs: number, _query: TemplateQuery): Promise<string> {
    let out = '';
    for (const p of this.pieces) {
      if ('text' in p) {
        out += p.text;
        continue;
      }
      const a = p.action;
      let m: RegExpExecArray | null;
      if (a === '$value' || a === '.Value') out += String(data.value);
      else if (a === '$externalURL' || a === '.ExternalURL') out += data.externalURL;
      else if ((m = /^(?:\$labels|\.Labels)\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(a)))
        out += data.labels[m[1]!] ?? '<no value>';
      else if ((m = /^(?:\$externalLabels|\.ExternalLabels)\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(a)))
        out += data.externalLabels[m[1]!] ?? '<no value>';
      else throw new TemplateError(`template: ${this.name}:${p.line}: stand-in template engine cannot run "${a}"`);
    }
    return out;
  }
}
