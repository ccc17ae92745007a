/**
 * The staff knowledge base (decisions 0152–0154): /knowledge lists articles
 * and categories; /knowledge/new and /knowledge/:id open the editor (kb.manage)
 * or the published article (readers).
 */
import { Route, Switch } from 'wouter';
import { NotFound } from '../shell/NotFound.js';
import { ArticlePage } from './ArticleEditor.js';
import { ArticlesPage } from './Articles.js';
import './knowledge.css';
import '../styles/articles.css';

export default function KnowledgeArea() {
  return (
    <Switch>
      <Route path="/knowledge" component={ArticlesPage} />
      {/* One route for both, so the page survives a new article's address becoming its id. */}
      <Route path="/knowledge/:id">{(params: { id: string }) => <ArticlePage id={params.id === 'new' ? null : params.id} />}</Route>
      <Route component={NotFound} />
    </Switch>
  );
}
