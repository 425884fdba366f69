import { routes as apiDocs } from './api-docs.js';
import { routes as events } from './events.js';
import { routes as audit } from './audit.js';
import { routes as login } from './login.js';
import { routes as metrics } from './metrics.js';
import { routes as password } from './password.js';
import { routes as people } from './people.js';
import { routes as personalDocs } from './personal-docs.js';
import { routes as pols } from './pols.js';
import { routes as publicRoutes } from './public.js';
import { domiciliaryUnitRoutes, institutionRoutes } from './records.js';
import type { RouteDef } from './types.js';

/** The route table: the router and the docs both read it. */
export const ROUTES: RouteDef[] = [
  ...publicRoutes,
  ...login,
  ...people,
  ...pols,
  ...personalDocs,
  ...domiciliaryUnitRoutes,
  ...institutionRoutes,
  ...password,
  ...apiDocs,
  ...events,
  ...audit,
  ...metrics,
];
