/** The pages outside the staff shell: sign-in, the factor step, first-run setup, password reset, invitations. */
import { Route, Switch } from 'wouter';
import { NotFound } from '../shell/NotFound.js';
import { AcceptInvite } from './AcceptInvite.js';
import { Factor } from './Factor.js';
import { ResetPassword } from './ResetPassword.js';
import { Setup } from './Setup.js';
import { SignIn } from './SignIn.js';
import './auth.css';

export default function AuthArea() {
  return (
    <Switch>
      <Route path="/signin" component={SignIn} />
      <Route path="/signin/factor" component={Factor} />
      <Route path="/setup" component={Setup} />
      <Route path="/reset-password" component={ResetPassword} />
      <Route path="/accept-invite" component={AcceptInvite} />
      <Route component={NotFound} />
    </Switch>
  );
}
