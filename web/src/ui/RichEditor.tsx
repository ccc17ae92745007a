/**
 * The rich-text editor (TipTap 3) of replies, notes, signatures and knowledge-base articles: bold, italic,
 * lists, links and images (where `onImage` is given), headings and quotes (with `blocks`), with a toolbar that is one Tab stop
 * (arrow keys move along it, as the WAI-ARIA toolbar pattern says) and the usual shortcuts (Ctrl+B, Ctrl+I,
 * Ctrl+Shift+8/7). Images come from `onImage` (the composer uploads the file to the ticket and returns the
 * address to show it at); pasted or dropped screenshots take the same way. Loaded on demand (LazyRichEditor)
 * so the ticket page's first load stays small. The HTML it produces is only a draft: the server sanitises it.
 * TipTap's injected stylesheet is off (the CSP allows no inline style); rich-editor.css carries the rules.
 */
import Image from '@tiptap/extension-image';
import { EditorContent, useEditor, type Editor } from '@tiptap/react';
import StarterKit from '@tiptap/starter-kit';
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { t } from '../i18n/index.js';
import './rich-editor.css';

export interface RichEditorProps {
  id: string;
  /** Id of the visible label. */
  labelId: string;
  describedBy?: string | undefined;
  /** HTML to show; replaced when `version` changes (a macro's text, a reset after sending). */
  initial: string;
  version: number;
  onChange: (html: string, text: string) => void;
  /** Uploads an image and resolves to the address it is shown at, or null when it was refused. */
  onImage?: ((file: File) => Promise<{ src: string; alt: string } | null>) | undefined;
  className?: string | undefined;
  disabled?: boolean | undefined;
  /** Headings and quotes too (articles); replies and notes keep to paragraphs and lists. */
  blocks?: boolean | undefined;
}

const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

function textOf(editor: Editor): string {
  return editor.getText({ blockSeparator: '\n\n' });
}

export default function RichEditor({ id, labelId, describedBy, initial, version, onChange, onImage, className, disabled, blocks }: RichEditorProps) {
  const imageRef = useRef(onImage);
  imageRef.current = onImage;
  const insertImages = (editor: Editor, files: File[]) => {
    for (const file of files) {
      if (!IMAGE_TYPES.includes(file.type) || !imageRef.current) continue;
      void imageRef.current(file).then((img) => {
        if (img) editor.chain().focus().setImage({ src: img.src, alt: img.alt }).run();
      });
    }
  };
  const editor = useEditor({
    injectCSS: false,
    extensions: [
      StarterKit.configure({ heading: { levels: [2, 3, 4] }, code: false, codeBlock: false, link: { openOnClick: false, autolink: true, protocols: ['mailto'], defaultProtocol: 'https' } }),
      Image.configure({ inline: true, allowBase64: false }),
    ],
    content: initial,
    editable: !disabled,
    editorProps: {
      attributes: {
        id,
        role: 'textbox',
        'aria-multiline': 'true',
        'aria-labelledby': labelId,
        ...(describedBy ? { 'aria-describedby': describedBy } : {}),
        class: `input input--area rich__content ${className ?? ''}`.trim(),
      },
      handlePaste: (_view, event) => {
        const files = Array.from(event.clipboardData?.files ?? []).filter((f) => IMAGE_TYPES.includes(f.type));
        if (files.length === 0 || !editorRef.current) return false;
        insertImages(editorRef.current, files);
        return true;
      },
      handleDrop: (_view, event) => {
        const files = Array.from((event as DragEvent).dataTransfer?.files ?? []).filter((f) => IMAGE_TYPES.includes(f.type));
        if (files.length === 0 || !editorRef.current) return false;
        insertImages(editorRef.current, files);
        return true;
      },
    },
    onUpdate: ({ editor: e }) => onChange(e.isEmpty ? '' : e.getHTML(), textOf(e)),
  });
  const editorRef = useRef<Editor | null>(null);
  editorRef.current = editor;

  const seen = useRef(version);
  useEffect(() => {
    if (!editor || seen.current === version) return;
    seen.current = version;
    editor.commands.setContent(initial, { emitUpdate: false });
    onChange(editor.isEmpty ? '' : editor.getHTML(), textOf(editor));
  }, [editor, version, initial, onChange]);
  useEffect(() => {
    editor?.setEditable(!disabled);
  }, [editor, disabled]);

  if (!editor) return null;
  return (
    <div className="rich">
      <Toolbar editor={editor} controls={id} blocks={blocks === true} onPickImages={onImage ? (files) => insertImages(editor, files) : undefined} />
      <EditorContent editor={editor} />
    </div>
  );
}

function Toolbar({ editor, controls, blocks, onPickImages }: { editor: Editor; controls: string; blocks: boolean; onPickImages: ((files: File[]) => void) | undefined }) {
  const [active, setActive] = useState(0);
  const [linking, setLinking] = useState(false);
  const [href, setHref] = useState('');
  const [, rerender] = useState(0);
  const bar = useRef<HTMLDivElement>(null);
  const picker = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const update = () => rerender((n) => n + 1);
    editor.on('selectionUpdate', update);
    editor.on('transaction', update);
    return () => {
      editor.off('selectionUpdate', update);
      editor.off('transaction', update);
    };
  }, [editor]);

  const buttons: Array<{ key: string; label: string; pressed?: boolean; run: () => void }> = [
    { key: 'bold', label: t('rich.bold'), pressed: editor.isActive('bold'), run: () => editor.chain().focus().toggleBold().run() },
    { key: 'italic', label: t('rich.italic'), pressed: editor.isActive('italic'), run: () => editor.chain().focus().toggleItalic().run() },
    ...(blocks
      ? [
          { key: 'heading', label: t('rich.heading'), pressed: editor.isActive('heading', { level: 2 }), run: () => editor.chain().focus().toggleHeading({ level: 2 }).run() },
          { key: 'quote', label: t('rich.quote'), pressed: editor.isActive('blockquote'), run: () => editor.chain().focus().toggleBlockquote().run() },
        ]
      : []),
    { key: 'bullets', label: t('rich.bullets'), pressed: editor.isActive('bulletList'), run: () => editor.chain().focus().toggleBulletList().run() },
    { key: 'numbers', label: t('rich.numbers'), pressed: editor.isActive('orderedList'), run: () => editor.chain().focus().toggleOrderedList().run() },
    {
      key: 'link',
      label: t('rich.link'),
      pressed: editor.isActive('link'),
      run: () => {
        setHref((editor.getAttributes('link').href as string | undefined) ?? 'https://');
        setLinking(true);
      },
    },
    ...(onPickImages ? [{ key: 'image', label: t('rich.image'), run: () => picker.current?.click() }] : []),
  ];

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const delta = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    let next = active;
    if (delta) next = (active + delta + buttons.length) % buttons.length;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = buttons.length - 1;
    else return;
    e.preventDefault();
    setActive(next);
    bar.current?.querySelectorAll<HTMLButtonElement>('button')[next]?.focus();
  };
  const applyLink = () => {
    const url = href.trim();
    if (!url || url === 'https://') editor.chain().focus().extendMarkRange('link').unsetLink().run();
    else editor.chain().focus().extendMarkRange('link').setLink({ href: /^(https?:|mailto:)/i.test(url) ? url : `https://${url}` }).run();
    setLinking(false);
  };

  return (
    <>
      <div ref={bar} role="toolbar" aria-label={t('rich.toolbar')} aria-controls={controls} className="rich__toolbar" onKeyDown={onKeyDown}>
        {buttons.map((b, i) => (
          <button
            key={b.key}
            type="button"
            className={`btn btn--ghost btn--small rich__button rich__button--${b.key}`}
            tabIndex={i === active ? 0 : -1}
            {...(b.pressed !== undefined ? { 'aria-pressed': b.pressed } : {})}
            onFocus={() => setActive(i)}
            // A pointer press keeps the editor focused: otherwise the editor re-focuses a frame later and that
            // resets the selection, dropping a mark toggled with nothing selected ("Bold", then type).
            onMouseDown={(e) => e.preventDefault()}
            onClick={b.run}
          >
            {b.label}
          </button>
        ))}
      </div>
      {onPickImages ? (
        <input
          ref={picker}
          type="file"
          accept={IMAGE_TYPES.join(',')}
          multiple
          hidden
          aria-hidden="true"
          tabIndex={-1}
          onChange={(e) => {
            const files = Array.from(e.target.files ?? []);
            e.target.value = '';
            onPickImages(files);
          }}
        />
      ) : null}
      {linking ? (
        <div className="rich__link" role="group" aria-label={t('rich.link')}>
          <label className="field__label" htmlFor={`${controls}-link`}>{t('rich.linkAddress')}</label>
          <input
            id={`${controls}-link`}
            className="input"
            type="url"
            value={href}
            autoFocus
            onChange={(e) => setHref(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                applyLink();
              } else if (e.key === 'Escape') {
                e.preventDefault();
                e.stopPropagation();
                setLinking(false);
                editor.commands.focus();
              }
            }}
          />
          <button type="button" className="btn btn--small" onClick={applyLink}>{t('rich.linkApply')}</button>
          <button type="button" className="btn btn--ghost btn--small" onClick={() => { setLinking(false); editor.commands.focus(); }}>{t('action.cancel')}</button>
        </div>
      ) : null}
    </>
  );
}
