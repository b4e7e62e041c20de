/** The portal's own labels, Chinese first: the people who use it work in Chinese. */
export type Language = 'zh' | 'en';

const labels = {
  title: { zh: '开发者门户', en: 'Developer portal' },
  viewPlayground: { zh: '调试台', en: 'Playground' },
  viewCatalogue: { zh: '数据目录', en: 'Catalogue' },
  viewUsage: { zh: '使用统计', en: 'Usage' },
  consumer: { zh: '调用方（开发模式）', en: 'Consumer (dev mode)' },
  consumerPasted: { zh: '粘贴的令牌', en: 'Pasted token' },
  token: { zh: '令牌', en: 'Token' },
  tokenPlaceholder: { zh: '粘贴调用方令牌（npm run token -- drc-approval）', en: 'Paste a consumer token (npm run token -- drc-approval)' },
  purpose: { zh: '用途 X-Purpose', en: 'Purpose X-Purpose' },
  purposePlaceholder: { zh: '例：投资项目并联审批（有条件字段须填写）', en: 'e.g. parallel approval of a project (needed for conditional fields)' },
  purposeHint: {
    zh: '本调用方此次读取数据的用途（用文字说明，至少两个字），随每个请求发送并记入审计日志；切换调用方不会沿用。',
    en: "What this consumer reads the data for, in words (at least two letters): sent with every request and kept in the audit trail; not carried over to another consumer.",
  },
  operations: { zh: '常用操作', en: 'Ready-made operations' },
  sampleLoading: { zh: '正在从网关读取示例数据…', en: 'Reading sample data through the gateway…' },
  sampleFrom: { zh: '变量取自种子数据', en: 'Variables from the seed data' },
  sampleFailed: { zh: '无法读取示例数据，变量需手动填写', en: 'Could not read sample data; fill the variables by hand' },
  noProject: { zh: '没有可读取的项目', en: 'no project to read' },
  personLoading: { zh: '正在以当前调用方及用途读取项目的法定代表人…', en: "Reading the project's legal representative as this consumer, for the stated purpose…" },
  personFailed: { zh: '无法读取示例人员，变量需手动填写', en: 'Could not read a sample person; fill the variables by hand' },
  noPerson: { zh: '项目没有可读取的法定代表人', en: 'the project has no legal representative to read' },
  opReview: { zh: '项目五部门联审', en: 'Project review, five departments' },
  opReviewHint: { zh: '一个项目：发改、自然资源、市场监管、公安、信用', en: 'One project: projects, geo, legal persons, persons, credit' },
  opCompanies: { zh: '个人名下企业及信用', en: "A person's companies and credit" },
  opCompaniesHint: { zh: '担任法定代表人的企业及其信用', en: 'Companies the person represents, with their credit' },
  opVerify: { zh: '核验身份', en: 'Verify a person' },
  opVerifyHint: { zh: '姓名与身份号码是否一致，不披露其他信息', en: 'Does the name match the number; discloses nothing else' },
  opAccessLog: { zh: '谁查看了此人数据', en: "Who read a person's data" },
  opAccessLogHint: { zh: '访问记录，仅审计方（auditor）可读', en: 'The access log; readable by the auditor only' },
  opRecordChanges: { zh: '谁更改了此人数据', en: "Who changed a person's record" },
  opRecordChangesHint: { zh: '更改记录及更改前的值；审计方、所属部门操作员及本人可读，须填写用途', en: 'Its changes and the values before; for the auditor, the owning departments and the person, with a stated purpose' },
  opAuditTrail: { zh: '某系统读取了什么', en: 'What a consumer system read' },
  opAuditTrailHint: { zh: '按调用方查审计记录（今日），仅审计方（auditor）可读', en: "The audit trail by consumer (today); readable by the auditor only" },
  notAvailable: { zh: '暂不可用', en: 'Not available' },
  fillArguments: { zh: '请填写 {arguments}。', en: 'Fill in {arguments} to see this report.' },
  notAvailableYet: { zh: '网关尚未提供此查询（{field}）。', en: 'The gateway does not offer this query ({field}) yet.' },
  noSchema: { zh: '未能读取网关的 schema', en: "The gateway's schema could not be read" },
  noAnswer: { zh: '网关没有返回数据', en: 'The gateway returned nothing' },
  unauthenticated: {
    zh: '需要有效的调用方令牌：请在上方选择调用方或粘贴令牌。不需令牌的目录见 /catalog。',
    en: 'A valid consumer token is needed: pick a consumer or paste a token above. The catalogue without a token: /catalog.',
  },
  loading: { zh: '加载中…', en: 'Loading…' },
  reload: { zh: '刷新', en: 'Reload' },
  noRows: { zh: '（无数据）', en: '(none)' },
  catalogueIntro: {
    zh: '各部门的数据资源：共享类型、权属部门、更新周期，以及当前调用方能否读取。',
    en: "Each department's resources: share type, owner, update cycle, and whether the current consumer may read them.",
  },
  usageIntro: { zh: '按部门、按日的请求量与最常用的数据资源。', en: 'Requests per department per day and the most used resources.' },
  offline: { zh: '离线可用：页面的一切均来自本网关', en: 'Works offline: everything on this page comes from this gateway' },
} satisfies Record<string, Record<Language, string>>;

export type Label = keyof typeof labels;

/**
 * The catalogue's and the usage report's field names, in Chinese (政务信息资源目录 terms). The
 * views show the GraphQL name beside it: that is what a developer types in a query. A name not
 * listed shows as it is.
 */
const reportFields: Record<string, string> = {
  version: '目录版本',
  readableBy: '读取方',
  departments: '部门',
  resources: '信息资源',
  conditionalResources: '有条件共享资源',
  name: '名称',
  department: '部门',
  store: '基础库',
  items: '数据项',
  kind: '类别',
  description: '说明',
  owner: '权属子图',
  ownerDepartment: '权属部门',
  contributors: '补充部门',
  keys: '主键',
  updateCycle: '更新周期',
  coordinate: '数据项',
  shareType: '共享类型',
  conditions: '共享条件',
  format: '格式',
  mask: '脱敏方式',
  grantedTo: '已授权调用方',
  maskedFor: '脱敏授权',
  readable: '当前调用方可读',
  from: '起始日期',
  to: '截止日期',
  consumers: '调用方',
  fields: '数据项',
  fieldReaders: '数据项的调用方',
  consumer: '调用方',
  days: '日期',
  unusedForDays: '闲置天数阈值',
  zombieCandidates: '疑似闲置资源',
  key: '名称',
  requests: '请求数',
  errors: '错误数',
  errorsByCode: '错误（按代码）',
  averageLatencyMs: '平均耗时(ms)',
  maxLatencyMs: '最长耗时(ms)',
  calls: '调用次数',
  failedCalls: '失败调用',
  averageCallMs: '平均调用耗时(ms)',
  code: '代码',
  count: '次数',
};

/** Enum values, by the field that holds them. */
const reportValues: Record<string, Record<string, string>> = {
  shareType: { UNCONDITIONAL: '无条件共享', CONDITIONAL: '有条件共享', NOT_SHARED: '不予共享' },
  kind: { ENTITY: '实体', VALUE: '值类型', FIELD: '数据项', RESOURCE: '信息资源' },
};

/** A report field's name for a heading: in Chinese mode the Chinese term, null when there is none (or in English). */
export function reportFieldLabel(language: Language, field: string): string | null {
  return language === 'zh' ? (reportFields[field] ?? null) : null;
}

/** An enum value as shown: in Chinese mode the Chinese term where there is one. */
export function reportValueLabel(language: Language, field: string, value: string): string {
  return language === 'zh' ? (reportValues[field]?.[value] ?? value) : value;
}

export function translate(language: Language, label: Label, params: Record<string, string> = {}): string {
  return labels[label][language].replace(/\{(\w+)\}/g, (_m, name: string) => params[name] ?? '');
}

const STORAGE_KEY = 'onesource.language';

export function initialLanguage(): Language {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    if (stored === 'zh' || stored === 'en') return stored;
  } catch {
    // storage may be disabled; Chinese is the default anyway
  }
  return 'zh';
}

export function rememberLanguage(language: Language): void {
  try {
    localStorage.setItem(STORAGE_KEY, language);
  } catch {
    // not remembered: harmless
  }
  document.documentElement.lang = language === 'zh' ? 'zh-CN' : 'en';
  document.title = language === 'zh' ? 'OneSource 一数一源 · 开发者门户' : 'OneSource · Developer portal';
}
