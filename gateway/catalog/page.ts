import type { PublishedCatalog, PublishedItem } from './grants';

/**
 * `/catalog`: the catalogue as one self-contained HTML page (inline CSS, no script, nothing from
 * any other host: e-government networks are closed). Chinese labels with English beside them.
 */
const SHARE_LABEL: Record<string, string> = {
  UNCONDITIONAL: '无条件共享 Unconditional',
  CONDITIONAL: '有条件共享 Conditional',
  NOT_SHARED: '不予共享 Not shared',
};

const KIND_LABEL: Record<string, string> = { ENTITY: '实体 Entity', VALUE: '值对象 Value' };

const CSS = `
body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:2rem;color:#1f2933;background:#fff}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin:2rem 0 .3rem;border-bottom:2px solid #1d4ed8;padding-bottom:.2rem}
.meta,.desc{color:#52606d;font-size:.9rem;margin:.2rem 0}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin:.5rem 0 1rem}
th,td{border:1px solid #cbd2d9;padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:#f0f4f8;font-weight:600}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em}
.UNCONDITIONAL{color:#166534}.CONDITIONAL{color:#9a3412;font-weight:600}
nav a{margin-right:1rem}
`;

export function renderCatalogPage(catalog: PublishedCatalog): string {
  const itemCount = catalog.resources.reduce((n, r) => n + r.items.length, 0);
  // Asked for one consumer (`?consumer=`): what it may read, as catalog.json and the catalog query say.
  const reader = catalog.readableBy;
  const readableHead = reader ? `<th>${esc(reader)} 可读 Readable</th>` : '';
  const readableCell = (readable: boolean | null) => (reader ? `<td>${readable ? '是 Yes' : '否 No'}</td>` : '');
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>政务信息资源目录 · OneSource resource catalogue</title>
<style>${CSS}</style>
</head>
<body>
<h1>政务信息资源目录 <small>Government information resource catalogue</small></h1>
<p class="meta">由各部门子图的 SDL 自动生成，随子图变更而更新 · Derived from each department's SDL; changes when a subgraph's schema changes.
版本 Version <code>${esc(catalog.version)}</code> · ${catalog.resources.length} 项资源 resources · ${itemCount} 个数据项 data items ·
<a href="/catalog.json${reader ? `?consumer=${encodeURIComponent(reader)}` : ''}">JSON</a></p>
${reader ? `<p class="meta">按系统 For consumer <code>${esc(reader)}</code>: “可读 Readable” 说明它能否读取每项（有条件共享的数据项还需在请求时说明用途 X-Purpose） · whether it may read each item (conditional items still need a purpose, X-Purpose, at request time)</p>` : ''}
<h2>部门 Departments</h2>
<table>
<thead><tr><th>子图 Subgraph</th><th>部门 Department</th><th>基础库 Store</th><th>资源 Resources</th><th>数据项 Items</th></tr></thead>
<tbody>
${catalog.departments
  .map((d) => `<tr><td><code>${esc(d.name)}</code></td><td>${esc(d.department)}</td><td>${esc(d.store)}</td><td>${d.resources.map((r) => `<a href="#${esc(r)}">${esc(r)}</a>`).join(', ')}</td><td>${d.items}</td></tr>`)
  .join('\n')}
</tbody>
</table>
<h2>有条件共享资源 Conditional resources</h2>
<table>
<thead><tr><th>资源 Resource</th><th>提供部门 Owner</th><th>数据项 Items</th><th>已授权 Granted to</th><th>脱敏 Masked for</th>${readableHead}</tr></thead>
<tbody>
${catalog.conditionalResources
  .map((r) => `<tr><td><code>${esc(r.name)}</code></td><td>${esc(r.ownerDepartment)}</td><td>${r.items.map((i) => `<code>${esc(i)}</code>`).join('<br>')}</td><td>${list(r.grantedTo)}</td><td>${list(r.maskedFor)}</td>${readableCell(r.readable)}</tr>`)
  .join('\n')}
</tbody>
</table>
${catalog.resources
  .map(
    (r) => `<h2 id="${esc(r.name)}">${esc(r.name)} <small>${esc(KIND_LABEL[r.kind] ?? r.kind)}</small></h2>
<p class="desc">${esc(r.description ?? '')}</p>
<p class="meta">提供部门 Owner: ${esc(r.ownerDepartment)} (<code>${esc(r.owner)}</code>)${r.contributors.length ? ` · 补充部门 Contributors: ${r.contributors.map((c) => `<code>${esc(c)}</code>`).join(', ')}` : ''}${r.keys.length ? ` · 标识 Key: <code>${esc(r.keys.join(', '))}</code>` : ''} · 更新周期 Update cycle: ${esc(r.updateCycle ?? '—')}</p>
<table>
<thead><tr><th>数据项 Item</th><th>说明 Description</th><th>提供部门 Owner</th><th>共享类型 Share type</th><th>共享条件 Conditions</th><th>更新周期 Cycle</th><th>格式 Format</th><th>脱敏 Mask</th><th>已授权 Granted to</th>${readableHead}</tr></thead>
<tbody>
${r.items.map((i) => itemRow(i, readableCell(i.readable))).join('\n')}
</tbody>
</table>`,
  )
  .join('\n')}
</body>
</html>
`;
}

function itemRow(i: PublishedItem, readable: string): string {
  return `<tr><td><code>${esc(i.name)}</code></td><td>${esc(i.description ?? '')}</td><td><code>${esc(i.owner)}</code></td><td class="${i.shareType}">${esc(SHARE_LABEL[i.shareType])}</td><td>${esc(i.conditions)}</td><td>${esc(i.updateCycle ?? '—')}</td><td><code>${esc(i.format)}</code></td><td>${esc(i.mask ?? '—')}</td><td>${i.shareType === 'CONDITIONAL' ? list(i.grantedTo) : '全部已注册系统 All registered'}</td>${readable}</tr>`;
}

function list(values: string[]): string {
  return values.length ? values.map((v) => `<code>${esc(v)}</code>`).join(', ') : '—';
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
