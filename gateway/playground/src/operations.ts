import type { Label } from './i18n';

/** Keys of seeded records, read through the gateway when the page opens. */
export interface Sample {
  projectCode: string;
  uscc: string;
  idNumber: string;
  name: string;
}

export const EMPTY_SAMPLE: Sample = { projectCode: '', uscc: '', idNumber: '', name: '' };

/** One request that finds a project, its applicant and the applicant's representative. */
export const SAMPLE_QUERY = /* GraphQL */ `query PortalSample {
  investmentProjects(first: 1) {
    edges { node { projectCode applicant { uscc legalRepresentative { idNumber name } } } }
  }
}`;

export function sampleFrom(data: unknown): Sample | null {
  const node = (data as any)?.investmentProjects?.edges?.[0]?.node;
  const person = node?.applicant?.legalRepresentative;
  if (!node?.projectCode || !person?.idNumber) return null;
  return { projectCode: node.projectCode, uscc: node.applicant.uscc ?? '', idNumber: person.idNumber, name: person.name ?? '' };
}

export interface ReadyOperation {
  id: 'review' | 'companies' | 'verify' | 'accessLog';
  label: Label;
  hint: Label;
  query: string;
  variables(sample: Sample): Record<string, unknown>;
}

export const OPERATIONS: ReadyOperation[] = [
  {
    id: 'review',
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
    label: 'opAccessLog',
    hint: 'opAccessLogHint',
    query: `# 谁查看了此人数据 · who read a person's data (PIPL art. 56); auditor only
query AccessLog($idNumber: ID!) {
  accessLog(idNumber: $idNumber, first: 20) {
    edges { node { consumer purpose at fields } }
  }
}
`,
    variables: (s) => ({ idNumber: s.idNumber }),
  },
];

export function operationName(operation: ReadyOperation): string | undefined {
  return /\bquery\s+(\w+)/.exec(operation.query)?.[1];
}

export function variablesText(operation: ReadyOperation, sample: Sample): string {
  return JSON.stringify(operation.variables(sample), null, 2);
}
