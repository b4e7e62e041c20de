import type { Label } from './i18n';

/**
 * Keys of seeded records for the ready-made operations' variables. A project's code and its
 * applicant's USCC are read when the page opens: they are no one's personal data. A person's
 * number and name are read only when the developer opens an operation about a person, and then
 * as that consumer with the purpose they stated: that read is theirs, and in the audit trail.
 */
export interface Sample {
  projectCode: string;
  uscc: string;
  idNumber: string;
  name: string;
}

export const EMPTY_SAMPLE: Sample = { projectCode: '', uscc: '', idNumber: '', name: '' };

/** A project and its applicant company: no personal data. */
export const PROJECT_SAMPLE_QUERY = /* GraphQL */ `query PortalSample {
  investmentProjects(first: 1) {
    edges { node { projectCode applicant { uscc } } }
  }
}`;

/** The applicant's legal representative, for the operations about a person. */
export const PERSON_SAMPLE_QUERY = /* GraphQL */ `query PortalSamplePerson($projectCode: ID!) {
  investmentProject(projectCode: $projectCode) {
    applicant { legalRepresentative { idNumber name } }
  }
}`;

export function projectSampleFrom(data: unknown): Pick<Sample, 'projectCode' | 'uscc'> | null {
  const node = (data as any)?.investmentProjects?.edges?.[0]?.node;
  if (!node?.projectCode) return null;
  return { projectCode: node.projectCode, uscc: node.applicant?.uscc ?? '' };
}

export function personSampleFrom(data: unknown): Pick<Sample, 'idNumber' | 'name'> | null {
  const person = (data as any)?.investmentProject?.applicant?.legalRepresentative;
  if (!person?.idNumber) return null;
  return { idNumber: person.idNumber, name: person.name ?? '' };
}

export interface ReadyOperation {
  id: 'review' | 'companies' | 'verify' | 'accessLog' | 'recordChanges' | 'auditTrail';
  label: Label;
  hint: Label;
  /** Its variables name a person: opening it reads one (see Sample). */
  aboutAPerson: boolean;
  query: string;
  variables(sample: Sample): Record<string, unknown>;
}

export const OPERATIONS: ReadyOperation[] = [
  {
    id: 'review',
    aboutAPerson: false,
    label: 'opReview',
    hint: 'opReviewHint',
    query: `# 项目五部门联审 · one project, all five departments
query ProjectReview($projectCode: ID!) {
  # 发展改革 projects
  investmentProject(projectCode: $projectCode) {
    projectCode name totalInvestment status
    approvals { department item status }
    # 自然资源 geo
    division { code name fullName }
    parcels { parcelCode landUse areaSquareMetres }
    # 市场监管 legal-persons
    applicant {
      uscc name status
      # 信用中心 credit; entries are conditional
      credit {
        onBlacklist onRedlist rating
        entries { kind reason authority decidedOn }
      }
      # 公安 persons; householdAddress is conditional
      legalRepresentative {
        idNumber name gender birthDate householdAddress
        credit { onBlacklist }
      }
    }
  }
}
`,
    variables: (s) => ({ projectCode: s.projectCode }),
  },
  {
    id: 'companies',
    aboutAPerson: true,
    label: 'opCompanies',
    hint: 'opCompaniesHint',
    query: `# 个人名下企业及信用 · a person's companies and their credit
query PersonCompanies($idNumber: ID!) {
  # 公安 persons
  naturalPerson(idNumber: $idNumber) {
    idNumber name status
    # 信用中心 credit
    credit { onBlacklist onRedlist }
    # 市场监管 legal-persons
    legalRepresentativeOf {
      uscc name status establishedOn
      credit { onBlacklist rating }
    }
  }
}
`,
    variables: (s) => ({ idNumber: s.idNumber }),
  },
  {
    id: 'verify',
    aboutAPerson: true,
    label: 'opVerify',
    hint: 'opVerifyHint',
    query: `# 核验身份 · verify a person: MATCH, MISMATCH or NOT_FOUND, nothing else
query VerifyPerson($idNumber: ID!, $name: String!) {
  verifyNaturalPerson(idNumber: $idNumber, name: $name)
}
`,
    variables: (s) => ({ idNumber: s.idNumber, name: s.name }),
  },
  {
    id: 'accessLog',
    aboutAPerson: true,
    label: 'opAccessLog',
    hint: 'opAccessLogHint',
    query: `# 谁查看了此人数据 · who read a person's data (PIPL art. 56); auditor only
query AccessLog($idNumber: ID!) {
  accessLog(idNumber: $idNumber, first: 20) {
    edges {
      node {
        consumer purpose at fields
        # 所依据的授权及其批准用途 · the grants used and the purposes they were approved for
        grantsUsed { resource approvedPurpose recorded }
      }
    }
  }
}
`,
    variables: (s) => ({ idNumber: s.idNumber }),
  },
  {
    id: 'recordChanges',
    aboutAPerson: true,
    label: 'opRecordChanges',
    hint: 'opRecordChangesHint',
    query: `# 谁更改了此人数据，由何改为何 · who changed a person's record, why, and what it held before
# 审计方、所属部门操作员及本人可读，须说明用途 · for auditors, the owning departments' operators and the person; state a purpose
# 审计方不能完整读取的项，其更改理由不予显示 · an auditor is not told the reason for a change to items it may not read in full
query RecordChanges($idNumber: ID!) {
  recordChanges(entity: "NaturalPerson", key: $idNumber, first: 20) {
    department fields changedAt changedBy reason objection
    # 更改前的值；审计方只见其有权完整读取的项 · values before; an auditor sees those it may read in full
    previous { field value }
  }
}
`,
    variables: (s) => ({ idNumber: s.idNumber }),
  },
  {
    id: 'auditTrail',
    aboutAPerson: false,
    label: 'opAuditTrail',
    hint: 'opAuditTrailHint',
    query: `# 某系统读取了什么 · what one consumer system read, and why; auditor only
# resource: 只列使用该授权资源的读取 · only the reads of one conditional resource, e.g. "persons.contact-details"
query AuditTrail($consumer: ID!, $from: Date!, $to: Date!, $resource: ID) {
  auditTrail(consumer: $consumer, from: $from, to: $to, resource: $resource, first: 20) {
    edges {
      node {
        at purpose operationName fields outcome
        # 涉及人数，不列姓名 · how many persons, not who (accessLog says, per person)
        subjectCount
        grantsUsed { resource approvedPurpose recorded }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
`,
    variables: () => {
      const today = new Date().toISOString().slice(0, 10);
      return { consumer: 'drc-approval', from: today, to: today, resource: null };
    },
  },
];

export function operationName(operation: ReadyOperation): string | undefined {
  return /\bquery\s+(\w+)/.exec(operation.query)?.[1];
}

export function variablesText(operation: ReadyOperation, sample: Sample): string {
  return JSON.stringify(operation.variables(sample), null, 2);
}
