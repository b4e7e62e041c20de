import { defineFederationSuite } from './support/federation-suite';

defineFederationSuite('mysql');
