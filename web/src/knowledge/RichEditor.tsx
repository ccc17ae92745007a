/**
 * The article editor: TipTap (StarterKit: paragraphs, headings, lists, quotes,
 * code, links) with a small toolbar. HTML out; the server sanitises it with the
 * one rich-text allowlist. No images in this version (decision 0152). TipTap's
 * own <style> injection is off: the CSP allows no inline style.
 */
import { EditorContent, useEditor } from '@tiptap/react';
import StarterKit from '@tiptap/starter-kit';
import { useId } from 'react';
import { t, type MessageKey } from '../i18n/index.js';

/** Uncontrolled: `initial` is read once (give the component a `key` per article). */
export function RichEditor({ initial, onChange, label, hint }: { initial: string; onChange: (html: string) => void; label: string; hint?: string }) {
  const id = useId();
  const editor = useEditor({
    injectCSS: false,
    // The toolbar's pressed states follow the selection and pending marks (TipTap 3 re-renders on nothing by default).
    shouldRerenderOnTransaction: true,
    extensions: [StarterKit.configure({ heading: { levels: [2, 3, 4] }, link: { openOnClick: false, autolink: true, protocols: ['https', 'http', 'mailto'] } })],
    content: initial,
    editorProps: { attributes: { class: 'rich-editor__content', role: 'textbox', 'aria-multiline': 'true', 'aria-labelledby': `${id}-label`, ...(hint ? { 'aria-describedby': `${id}-hint` } : {}) } },
    onUpdate: ({ editor: e }) => onChange(e.getHTML()),
  });
  const button = (key: MessageKey, active: boolean, run: () => void) => (
    <button type="button" className={active ? 'rich-editor__tool rich-editor__tool--on' : 'rich-editor__tool'} aria-pressed={active} disabled={!editor}
      // A pointer press keeps the editor focused, so "Bold" then typing is bold (see ui/RichEditor.tsx).
      onMouseDown={(e) => e.preventDefault()} onClick={run}>
      {t(key)}
    </button>
  );
  const chain = () => editor!.chain().focus();
  return (
    <div className="field rich-editor">
      <span id={`${id}-label`} className="field__label">{label}</span>
      {hint ? <span id={`${id}-hint`} className="field__hint">{hint}</span> : null}
      <div className="rich-editor__toolbar" role="toolbar" aria-label={t('kb.editor.toolbar')}>
        {button('kb.editor.bold', !!editor?.isActive('bold'), () => chain().toggleBold().run())}
        {button('kb.editor.italic', !!editor?.isActive('italic'), () => chain().toggleItalic().run())}
        {button('kb.editor.heading', !!editor?.isActive('heading', { level: 2 }), () => chain().toggleHeading({ level: 2 }).run())}
        {button('kb.editor.bullets', !!editor?.isActive('bulletList'), () => chain().toggleBulletList().run())}
        {button('kb.editor.numbers', !!editor?.isActive('orderedList'), () => chain().toggleOrderedList().run())}
        {button('kb.editor.quote', !!editor?.isActive('blockquote'), () => chain().toggleBlockquote().run())}
        {button('kb.editor.link', !!editor?.isActive('link'), () => {
          if (editor?.isActive('link')) {
            chain().unsetLink().run();
            return;
          }
          const href = window.prompt(t('kb.editor.linkPrompt'), 'https://');
          if (href && /^(https?:\/\/|mailto:)/i.test(href.trim())) chain().extendMarkRange('link').setLink({ href: href.trim() }).run();
        })}
      </div>
      <EditorContent editor={editor} />
    </div>
  );
}
