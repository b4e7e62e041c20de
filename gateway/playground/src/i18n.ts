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
  purposePlaceholder: { zh: '例：投资项目并联审批', en: 'e.g. parallel approval of a project' },
  operations: { zh: '常用操作', en: 'Ready-made operations' },
  sampleLoading: { zh: '正在从网关读取示例数据…', en: 'Reading sample data through the gateway…' },
  sampleFrom: { zh: '变量取自种子数据', en: 'Variables from the seed data' },
  sampleFailed: { zh: '无法读取示例数据，变量需手动填写', en: 'Could not read sample data; fill the variables by hand' },
  opReview: { zh: '项目五部门联审', en: 'Project review, five departments' },
  opReviewHint: { zh: '一个项目：发改、自然资源、市场监管、公安、信用', en: 'One project: projects, geo, legal persons, persons, credit' },
  opCompanies: { zh: '个人名下企业及信用', en: "A person's companies and credit" },
  opCompaniesHint: { zh: '担任法定代表人的企业及其信用', en: 'Companies the person represents, with their credit' },
  opVerify: { zh: '核验身份', en: 'Verify a person' },
  opVerifyHint: { zh: '姓名与身份号码是否一致，不披露其他信息', en: 'Does the name match the number; discloses nothing else' },
  opAccessLog: { zh: '谁查看了此人数据', en: "Who read a person's data" },
  opAccessLogHint: { zh: '访问记录，仅审计方（auditor）可读', en: 'The access log; readable by the auditor only' },
  notAvailable: { zh: '暂不可用', en: 'Not available' },
  notAvailableYet: { zh: '网关尚未提供此查询（{field}）。', en: 'The gateway does not offer this query ({field}) yet.' },
  loading: { zh: '加载中…', en: 'Loading…' },
  reload: { zh: '刷新', en: 'Reload' },
  noRows: { zh: '（无数据）', en: '(nothing)' },
  catalogueIntro: {
    zh: '各部门的数据资源：共享类型、权属部门、更新周期，以及当前调用方能否读取。',
    en: "Each department's resources: share type, owner, update cycle, and whether the current consumer may read them.",
  },
  usageIntro: { zh: '按部门、按日的请求量与最常用的数据资源。', en: 'Requests per department per day and the most used resources.' },
  offline: { zh: '离线可用：页面的一切均来自本网关', en: 'Works offline: everything on this page comes from this gateway' },
} satisfies Record<string, Record<Language, string>>;

export type Label = keyof typeof labels;

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
}
