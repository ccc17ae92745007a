/**
 * The security centre: the audit trail with proofs and the integrity check,
 * access review campaigns, quarantine and phishing reports. `/access-reviews/:id`
 * and `/quarantine/:id` are the links the server mails, so they work directly.
 */
import { Route, Switch } from 'wouter';
import { NotFound } from '../shell/NotFound.js';
import { AccessReview } from './AccessReview.js';
import { AccessReviews } from './AccessReviews.js';
import { AuditEntry } from './AuditEntry.js';
import { AuditTrail } from './AuditTrail.js';
import { Overview } from './Overview.js';
import { PhishingReports } from './PhishingReports.js';
import { Quarantine } from './Quarantine.js';
import { QuarantineItem } from './QuarantineItem.js';
import { PrivacyRequests } from './PrivacyRequests.js';
import { SimulationResults, Simulations } from './Simulations.js';
import './security.css';

export default function SecurityArea() {
  return (
    <Switch>
      <Route path="/security" component={Overview} />
      <Route path="/security/audit" component={AuditTrail} />
      <Route path="/security/audit/:index">{(params) => <AuditEntry index={params.index} />}</Route>
      <Route path="/security/phishing-reports" component={PhishingReports} />
      <Route path="/security/simulations" component={Simulations} />
      <Route path="/security/simulations/:id">{(params) => <SimulationResults id={params.id} />}</Route>
      <Route path="/security/privacy" component={PrivacyRequests} />
      <Route path="/access-reviews" component={AccessReviews} />
      <Route path="/access-reviews/:id">{(params) => <AccessReview id={params.id} />}</Route>
      <Route path="/quarantine" component={Quarantine} />
      <Route path="/quarantine/:id">{(params) => <QuarantineItem id={params.id} />}</Route>
      <Route component={NotFound} />
    </Switch>
  );
}
