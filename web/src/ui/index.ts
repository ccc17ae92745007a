export { Button } from './Button.js';
export { DataTable, type Column } from './DataTable.js';
export { Dialog } from './Dialog.js';
export { CheckboxField, FieldRow, SelectField, TextAreaField, TextField, type Option } from './fields.js';
export { useResource, useSubmit, type Resource, type Submit } from './hooks.js';
export { Badge, EmptyState, ErrorNotice, Loading, Notice } from './notices.js';
export { Page, Section } from './Page.js';
export { TabNav } from './Tabs.js';
export { RelativeTime } from './time.js';
