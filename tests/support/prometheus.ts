export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * The Prometheus text exposition format (0.0.4), strictly: every line is a HELP or TYPE comment or
 * a sample `name{label="value",...} number`. Throws on any other line.
 */
export function parsePrometheus(text: string): Sample[] {
  const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
  // NaN in any case, as Prometheus reads it (Go's ParseFloat): prom-client writes an empty event-loop
  // lag histogram's mean as `Nan`, when /metrics is scraped right after start.
  const sample = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*)?,?\\})? (-?[0-9.eE+-]+|[Nn][Aa][Nn]|[+-][Ii]nf)(?: -?[0-9]+)?$`);
  const help = new RegExp(`^# HELP ${NAME} .*$`);
  const type = new RegExp(`^# TYPE ${NAME} (counter|gauge|histogram|summary|untyped)$`);
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || help.test(line) || type.test(line)) continue;
    const m = sample.exec(line);
    if (!m) throw new Error(`not Prometheus text: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3].replace('Inf', 'Infinity')) });
  }
  return samples;
}

/** The sum of a metric's samples whose labels include `labels`. */
export const valueOf = (samples: Sample[], name: string, labels: Record<string, string>) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
