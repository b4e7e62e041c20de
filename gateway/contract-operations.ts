import { GraphQLSchema, parse, TypeInfo, visit, visitWithTypeInfo } from 'graphql';

/**
 * The public contract (CONTRACT.md) as operations: every root field with its arguments and every
 * field the contract names on each entity. `npm run check` judges them as OneSource's own
 * (`own-operations.ts`, as `contract`), so a schema change that removes or retypes what approval
 * systems were promised fails there even if no consumer has asked for that field yet. A test
 * validates them against the served schema.
 */
export const CONTRACT_OPERATIONS: readonly string[] = [
  /* GraphQL */ `query ContractNaturalPersons($idNumber: ID!, $idNumbers: [ID!]!, $name: String!) {
  naturalPerson(idNumber: $idNumber) {
    idNumber name gender birthDate status householdAddress
    householdDivision { code }
    legalRepresentativeOf { uscc }
    credit { onBlacklist onRedlist rating entries { kind } }
  }
  naturalPersons(idNumbers: $idNumbers) { idNumber }
  verifyNaturalPerson(idNumber: $idNumber, name: $name)
}`,
  /* GraphQL */ `query ContractLegalPersons($uscc: ID!, $usccs: [ID!]!) {
  legalPerson(uscc: $uscc) {
    uscc name status establishedOn
    legalRepresentative { idNumber }
    division { code }
    investmentProjects { projectCode }
    credit { onBlacklist onRedlist rating }
  }
  legalPersons(usccs: $usccs) { uscc }
}`,
  /* GraphQL */ `query ContractGeo($code: ID!, $longitude: Float!, $latitude: Float!, $parcelCode: ID!) {
  administrativeDivision(code: $code) { code name level parent { code } }
  divisionAt(longitude: $longitude, latitude: $latitude) { code }
  landParcel(parcelCode: $parcelCode) { parcelCode landUse areaSquareMetres geometry division { code } }
}`,
  /* GraphQL */ `query ContractProjects($projectCode: ID!, $first: Int, $after: String, $status: ProjectStatus, $regionCode: ID) {
  investmentProject(projectCode: $projectCode) {
    projectCode name totalInvestment status
    approvals { department item status }
    applicant { uscc }
    division { code }
    parcels { parcelCode }
  }
  investmentProjects(first: $first, after: $after, status: $status, regionCode: $regionCode) { edges { node { projectCode } } }
}`,
  /* GraphQL */ `query ContractAccessLog($idNumber: ID!, $first: Int, $after: String) {
  accessLog(idNumber: $idNumber, first: $first, after: $after) { edges { node { consumer purpose at fields } } }
}`,
];

/**
 * Every `Type.field` the contract operations select: what approval systems were promised, which
 * stays in the graph however little it is read (the usage report's zombie candidates say so).
 */
export function promisedFields(schema: GraphQLSchema): Set<string> {
  const promised = new Set<string>();
  const typeInfo = new TypeInfo(schema);
  for (const operation of CONTRACT_OPERATIONS) {
    visit(parse(operation), visitWithTypeInfo(typeInfo, {
      Field() {
        const parent = typeInfo.getParentType();
        const field = typeInfo.getFieldDef();
        if (parent && field && !field.name.startsWith('__')) promised.add(`${parent.name}.${field.name}`);
      },
    }));
  }
  return promised;
}
