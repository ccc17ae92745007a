/**
 * Training (decision 0191): /training lists the member's own modules (due, overdue, done); /training/:id is
 * the player (lesson, quiz, result with explanations, retry); /training/manage is for those who may follow
 * progress (training.read) or manage training (training.manage): rules, assigning, modules; /training/awareness
 * is the member's own awareness score (decision 0196); /training/policy the data-handling policy to confirm and,
 * for those who follow training, who has not (decision 0213).
 */
import { Route, Switch } from 'wouter';
import { NotFound } from '../shell/NotFound.js';
import { ManagePage } from './Manage.js';
import { MyAwarenessPage } from './MyAwareness.js';
import { MyTrainingPage, PlayerPage } from './MyTraining.js';
import { MyPolicyPage } from '../policies/MyPolicy.js';
import '../styles/articles.css';
import './training.css';

export default function TrainingArea() {
  return (
    <Switch>
      <Route path="/training" component={MyTrainingPage} />
      <Route path="/training/manage" component={ManagePage} />
      <Route path="/training/awareness" component={MyAwarenessPage} />
      <Route path="/training/policy" component={MyPolicyPage} />
      <Route path="/training/:id">{(params: { id: string }) => <PlayerPage id={params.id} />}</Route>
      <Route component={NotFound} />
    </Switch>
  );
}
