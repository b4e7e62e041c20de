/** The operations approval systems send, shared by suites (and the benchmark). */

/** The flagship: one project, its parcels and division, its applicant, the applicant's
 * representative and everyone's credit: all five departments in one request. */
export const PROJECT_REVIEW = /* GraphQL */ `
  query ProjectReview($projectCode: ID!) {
    investmentProject(projectCode: $projectCode) {
      projectCode name totalInvestment status kind declaredOn
      approvals { department item status decidedOn }
      division { code name level fullName parent { code name } }
      parcels { parcelCode landUse landUseCode areaSquareMetres geometry division { code name } }
      applicant {
        uscc name status establishedOn registeredCapital
        division { code name }
        credit { onBlacklist onRedlist rating }
        legalRepresentative {
          idNumber name gender birthDate status
          householdDivision { code name }
          credit { onBlacklist onRedlist }
        }
      }
    }
  }
`;

/** A page of projects with applicant, representative and both credit profiles. */
export const PROJECT_PAGE = /* GraphQL */ `
  query ProjectPage($first: Int, $after: String) {
    investmentProjects(first: $first, after: $after) {
      edges {
        cursor
        node {
          projectCode name status
          applicant {
            uscc name credit { onBlacklist rating }
            legalRepresentative { idNumber name credit { onBlacklist } }
          }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`;
