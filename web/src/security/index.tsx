/**
 * The security centre: the audit trail with proofs and the integrity check,
 * access review campaigns, quarantine, phishing reports and security incidents
 * (`/incidents/:id` is the link mailed to IT). `/access-reviews/:id`
 * and `/quarantine/:id` are the links the server mails, so they work directly.
 */
import { Route, Switch } from 'wouter';
import { NotFound } from '../shell/NotFound.js';
import { AccessReview } from './AccessReview.js';
import { AccessReviews } from './AccessReviews.js';
import { AuditEntry } from './AuditEntry.js';
import { AuditTrail } from './AuditTrail.js';
import { AwarenessDashboardPage, AwarenessPersonPage } from './Awareness.js';
import { Overview } from './Overview.js';
import { PhishingReports } from './PhishingReports.js';
import { Quarantine } from './Quarantine.js';
import { QuarantineItem } from './QuarantineItem.js';
import { PrivacyRequests } from './PrivacyRequests.js';
import { Retention } from './Retention.js';
import { SimulationResults, Simulations } from './Simulations.js';
import { IncidentDetail } from './IncidentDetail.js';
import { Incidents } from './Incidents.js';
import { SiemDestinations } from './Siem.js';
import { InsiderAlerts } from './Insider.js';
import './security.css';

export default function SecurityArea() {
  return (
    <Switch>
      <Route path="/security" component={Overview} />
      <Route path="/security/audit" component={AuditTrail} />
      <Route path="/security/audit/:index">{(params) => <AuditEntry index={params.index} />}</Route>
      <Route path="/security/phishing-reports" component={PhishingReports} />
      <Route path="/security/simulations" component={Simulations} />
      <Route path="/security/siem" component={SiemDestinations} />
      <Route path="/security/insider" component={InsiderAlerts} />
      <Route path="/security/simulations/:id">{(params) => <SimulationResults id={params.id} />}</Route>
      <Route path="/security/awareness" component={AwarenessDashboardPage} />
      <Route path="/security/awareness/people/:id">{(params) => <AwarenessPersonPage id={params.id} />}</Route>
      <Route path="/security/privacy" component={PrivacyRequests} />
      <Route path="/security/retention">{() => <Retention />}</Route>
      <Route path="/access-reviews" component={AccessReviews} />
      <Route path="/access-reviews/:id">{(params) => <AccessReview id={params.id} />}</Route>
      <Route path="/quarantine" component={Quarantine} />
      <Route path="/quarantine/:id">{(params) => <QuarantineItem id={params.id} />}</Route>
      <Route path="/incidents" component={Incidents} />
      <Route path="/incidents/:id">{(params) => <IncidentDetail id={params.id} />}</Route>
      <Route component={NotFound} />
    </Switch>
  );
}
