/** The agent console: views and ticket list, the ticket page, the chat inbox, a customer, and the link warning page. */
import { Route, Switch } from 'wouter';
import { t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { NotFound } from '../shell/NotFound.js';
import { Page } from '../ui/Page.js';
import { ChatInbox } from './chat/ChatInbox.js';
import { CustomerPanel } from './CustomerPanel.js';
import { LinkPage } from './LinkPage.js';
import { TicketList } from './TicketList.js';
import { TicketPage } from './TicketPage.js';
import { ShortcutLayer } from './shortcuts.js';
import './agent.css';

function CustomerPage({ id }: { id: string }) {
  const { can } = useMe();
  return (
    <Page title={t('agent.customer.pageTitle')}>
      <CustomerPanel customerId={id} ticketId={null} canReveal={can('customers.reveal')} />
    </Page>
  );
}

export default function AgentArea() {
  return (
    <ShortcutLayer>
    <Switch>
      <Route path="/tickets" component={TicketList} />
      <Route path="/tickets/:id">{(params: { id: string }) => <TicketPage id={params.id} />}</Route>
      <Route path="/chats">{() => <ChatInbox openId={null} />}</Route>
      <Route path="/chats/:id">{(params: { id: string }) => <ChatInbox openId={params.id} />}</Route>
      <Route path="/customers/:id">{(params: { id: string }) => <CustomerPage id={params.id} />}</Route>
      <Route path="/link" component={LinkPage} />
      <Route component={NotFound} />
    </Switch>
    </ShortcutLayer>
  );
}
