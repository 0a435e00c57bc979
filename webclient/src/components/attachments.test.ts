// Shared files on screen (happy-dom): a message with an OOB image shows a lazy preview inside a
// link that opens it, a document shows a download link, a hostile body stays text; the composer
// has an attach button only when files can be sent.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import MessageList from './MessageList.svelte';
import Composer from './Composer.svelte';
import type { ChatMessage } from '../xmpp/chat.ts';

afterEach(() => cleanup());

const message = (id: string, body: string, oob?: string): ChatMessage => ({
  id, peer: 'bob@example.com', direction: 'in', body, time: new Date(), delayed: false, refs: [id], oob,
});

describe('attachments in the conversation', () => {
  it('an image preview opens full size; a document is a download link; nothing else becomes markup', async () => {
    const image = 'https://upload.example.com/get/a/cat.png';
    const pdf = 'https://upload.example.com/get/b/report%20Q3.pdf';
    render(MessageList, {
      messages: [
        message('1', image, image),
        message('2', pdf, pdf),
        message('3', '"><img src=x onerror=alert(1)>', 'javascript:alert(1)'),
      ],
      peerName: 'Bob',
    });
    const open = await screen.findByRole('link', { name: 'Open cat.png full size' });
    expect(open.getAttribute('href')).toBe(image);
    expect(open.getAttribute('target')).toBe('_blank');
    expect(open.getAttribute('rel')).toContain('noopener');
    const img = open.querySelector('img')!;
    expect(img.getAttribute('src')).toBe(image);
    expect(img.getAttribute('loading')).toBe('lazy');
    expect(img.getAttribute('alt')).toBe('cat.png');

    const download = screen.getByRole('link', { name: 'Download report Q3.pdf' });
    expect(download.getAttribute('href')).toBe(pdf);
    expect(download.getAttribute('download')).toBe('report Q3.pdf');

    const hostile = document.querySelector('[data-id="3"]')!;
    expect(hostile.querySelector('img, a')).toBeNull();
    expect(hostile.textContent).toContain('"><img src=x onerror=alert(1)>');
  });
});

describe('Composer with files', () => {
  it('offers the attach button when files can be sent, and hands pasted files over', async () => {
    const onFiles = vi.fn();
    const { unmount } = render(Composer, { peer: 'bob@example.com', peerName: 'Bob', onSend: () => {}, onChatState: () => {}, onFiles });
    expect(screen.getByRole('button', { name: 'Send a file' })).toBeTruthy();
    const screenshot = new File([new Uint8Array([137, 80, 78, 71])], 'image.png', { type: 'image/png' });
    await fireEvent.paste(screen.getByLabelText('Message Bob'), { clipboardData: { files: [screenshot], getData: () => '' } });
    expect(onFiles).toHaveBeenCalledWith([screenshot]);
    unmount();
    render(Composer, { peer: 'bob@example.com', peerName: 'Bob', onSend: () => {}, onChatState: () => {} });
    expect(screen.queryByRole('button', { name: 'Send a file' })).toBeNull();
  });
});
