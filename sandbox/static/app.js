'use strict';
// The sandbox chat page: you are a WhatsApp user talking to one of the business's
// numbers. Everything it shows comes from the sandbox's event stream (/_sandbox/events);
// everything you do is a POST to /_sandbox/send, which signs a webhook like Meta and
// sends it to the component. A chat is a (business number, user) pair; a user's chat key
// is their phone number, or their user id (BSUID) when they have no phone number.
(() => {
  const $ = (id) => document.getElementById(id);
  const EMOJIS = ['👍', '❤️', '😂', '😮', '😢', '🙏'];
  const PLACES = [
    { latitude: 37.4847483, longitude: -122.1477137, name: 'Example Coffee Roasters', address: '1 Hacker Way, Menlo Park, CA 94025' },
    { latitude: 51.5007292, longitude: -0.1246254, name: 'Big Ben', address: 'Westminster, London SW1A 0AA' },
    { latitude: -23.5613496, longitude: -46.6565712, name: 'MASP', address: 'Av. Paulista, 1578, São Paulo' },
    { latitude: 35.6585805, longitude: 139.7454329, name: 'Tokyo Tower', address: '4 Chome-2-8 Shibakoen, Minato City, Tokyo' },
  ];
  const AVATAR_COLORS = ['#7f66ff', '#02a698', '#fa6533', '#53bdeb', '#e542a3', '#ffbc38', '#1fa855', '#a5b337'];

  const state = {
    client: null,
    business: { name: 'Sandbox Business', display_phone_number: '', digits: '' },
    numbers: [],
    number: null,
    webhook: '',
    graphUrl: '',
    verifyTokenSet: false,
    users: [],
    messages: new Map(),
    me: null,
    typing: {},
    replyTo: null,
    hook: { state: 'unknown' },
    faults: null,
    requests: [],
    seen: {},
    sheet: null,
    connected: false,
  };

  // ------------------------------------------------------------------ helpers
  const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ESC[c]);
  const str = (v) => (typeof v === 'string' ? v : v == null ? '' : String(v));

  function hashColor(text) {
    let h = 0;
    for (const c of str(text)) h = (h * 31 + c.codePointAt(0)) >>> 0;
    return AVATAR_COLORS[h % AVATAR_COLORS.length];
  }
  function initials(name) {
    const words = str(name).trim().split(/\s+/).filter(Boolean);
    if (!words.length) return '?';
    const first = [...words[0]][0] || '?';
    const second = words.length > 1 ? [...words[words.length - 1]][0] : '';
    return (first + (second || '')).toUpperCase();
  }
  function phone(digits) {
    const d = str(digits);
    if (d.startsWith('1') && d.length === 11) return `+1 ${d.slice(1, 4)}-${d.slice(4, 7)}-${d.slice(7)}`;
    if (d.startsWith('55') && d.length === 13) return `+55 ${d.slice(2, 4)} ${d.slice(4, 9)}-${d.slice(9)}`;
    if (d.startsWith('86') && d.length === 13) return `+86 ${d.slice(2, 5)} ${d.slice(5, 9)} ${d.slice(9)}`;
    return d ? `+${d}` : '';
  }
  // Who a user is, in one line: phone number, else @username, else user id.
  function ident(u) {
    if (!u) return '';
    if (u.wa_id) return phone(u.wa_id);
    if (u.username) return '@' + u.username;
    return str(u.user_id);
  }
  function time(ms) {
    return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  // ------------------------------------------------------------------ WhatsApp formatting
  function inline(raw) {
    const keep = [];
    const hold = (html) => `\u0000${keep.push(html) - 1}\u0000`;
    let s = str(raw);
    s = s.replace(/`([^`\n]+)`/g, (_, code) => hold(`<code>${esc(code)}</code>`));
    s = s.replace(/\bhttps?:\/\/[^\s<>"']*[^\s<>"'.,;:!?)\]]/g, (url) =>
      hold(`<a href="${esc(url)}" target="_blank" rel="noopener noreferrer">${esc(url)}</a>`));
    s = esc(s);
    const wrap = (marker, tag) => {
      const m = marker === '*' ? '\\*' : marker;
      const re = new RegExp(`(^|[^\\p{L}\\p{N}_${m}])${m}(?!\\s)([^${m}\\n]*?[^\\s${m}])${m}(?![\\p{L}\\p{N}_${m}])`, 'gu');
      s = s.replace(re, `$1<${tag}>$2</${tag}>`);
    };
    wrap('*', 'b');
    wrap('_', 'i');
    wrap('~', 's');
    return s.replace(/\u0000(\d+)\u0000/g, (_, i) => keep[Number(i)]);
  }

  function blocks(text) {
    if (!text) return '';
    const groups = [];
    for (const line of text.split('\n')) {
      let kind = 'p';
      let content = line;
      let start = 1;
      let m;
      if ((m = line.match(/^>\s?(.*)$/))) { kind = 'q'; content = m[1]; }
      else if ((m = line.match(/^\s*[-*•]\s+(.*)$/))) { kind = 'ul'; content = m[1]; }
      else if ((m = line.match(/^\s*(\d{1,3})\.\s+(.*)$/))) { kind = 'ol'; content = m[2]; start = Number(m[1]); }
      const last = groups[groups.length - 1];
      if (last && last.kind === kind) last.items.push(content);
      else groups.push({ kind, items: [content], start });
    }
    return groups.map((g) => {
      const items = g.items.map(inline);
      if (g.kind === 'q') return `<blockquote>${items.join('<br>')}</blockquote>`;
      if (g.kind === 'ul') return `<ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul>`;
      if (g.kind === 'ol') return `<ol start="${g.start}">${items.map((i) => `<li>${i}</li>`).join('')}</ol>`;
      return items.join('<br>');
    }).join('');
  }

  function format(text) {
    const parts = str(text).replace(/\n+$/, '').split('```');
    if (parts.length % 2 === 0) {
      const last = parts.pop();
      parts[parts.length - 1] += '```' + last;
    }
    return parts.map((part, i) => {
      if (i % 2) return `<pre>${esc(part.replace(/^\n/, '').replace(/\n$/, ''))}</pre>`;
      let p = part;
      if (i > 0) p = p.replace(/^\n/, '');
      if (i < parts.length - 1) p = p.replace(/\n$/, '');
      return blocks(p);
    }).join('');
  }

  // ------------------------------------------------------------------ icons
  const ICON = {
    clock: '<svg viewBox="0 0 16 15" width="15" height="14" class="tick"><circle cx="8" cy="7.5" r="5.6" fill="none" stroke="currentColor" stroke-width="1.3"/><path d="M8 4.6v3.1l2 1.3" fill="none" stroke="currentColor" stroke-width="1.3" stroke-linecap="round"/></svg>',
    one: '<svg viewBox="0 0 16 11" width="16" height="11" class="tick"><path d="M1.5 5.8l3.3 3.3L12 1.7" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round"/></svg>',
    two: (read) => `<svg viewBox="0 0 18 11" width="18" height="11" class="tick${read ? ' read' : ''}"><path d="M1 5.8l3.3 3.3L11.5 1.7M7.6 8.6l.6.5L15.5 1.7" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round"/></svg>`,
    reply: '<svg viewBox="0 0 24 24" width="17" height="17"><path d="M10 9V5l-7 7 7 7v-4.1c5 0 8.5 1.6 11 5.1-1-5-4-10-11-11z" fill="currentColor"/></svg>',
    list: '<svg viewBox="0 0 24 24" width="18" height="18"><path d="M4 6h2v2H4zm4 0h12v2H8zM4 11h2v2H4zm4 0h12v2H8zm-4 5h2v2H4zm4 0h12v2H8z" fill="currentColor"/></svg>',
    external: '<svg viewBox="0 0 24 24" width="16" height="16"><path d="M14 3h7v7h-2V6.4l-9.3 9.3-1.4-1.4L17.6 5H14zM5 5h6v2H5v12h12v-6h2v6a2 2 0 01-2 2H5a2 2 0 01-2-2V7a2 2 0 012-2z" fill="currentColor"/></svg>',
    smile: '<svg viewBox="0 0 24 24" width="18" height="18"><circle cx="12" cy="12" r="9" fill="none" stroke="currentColor" stroke-width="1.7"/><circle cx="9" cy="10" r="1.2" fill="currentColor"/><circle cx="15" cy="10" r="1.2" fill="currentColor"/><path d="M8.5 14c1.8 2.2 5.2 2.2 7 0" fill="none" stroke="currentColor" stroke-width="1.7" stroke-linecap="round"/></svg>',
    pin: '<svg class="pin" viewBox="0 0 24 32" width="30" height="40"><path d="M12 0C5.4 0 0 5.3 0 11.9 0 20.8 12 32 12 32s12-11.2 12-20.1C24 5.3 18.6 0 12 0z" fill="#ea4335"/><circle cx="12" cy="12" r="4.5" fill="#a50e0e"/></svg>',
    play: '<svg viewBox="0 0 24 24" width="26" height="26"><path d="M8 5v14l11-7z" fill="#fff"/></svg>',
    playGrey: '<svg viewBox="0 0 24 24" width="26" height="26"><path d="M8 5v14l11-7z" fill="currentColor"/></svg>',
    mic: '<svg viewBox="0 0 24 24" width="20" height="20"><path d="M12 14a3 3 0 003-3V5a3 3 0 00-6 0v6a3 3 0 003 3zm5-3a5 5 0 01-10 0H5a7 7 0 006 6.9V21h2v-3.1a7 7 0 006-6.9z" fill="#fff"/></svg>',
    person: '<svg viewBox="0 0 24 24" width="24" height="24"><path d="M12 12a4 4 0 100-8 4 4 0 000 8zm0 2c-4 0-8 2-8 5v1h16v-1c0-3-4-5-8-5z" fill="currentColor"/></svg>',
  };

  // ------------------------------------------------------------------ message model
  const chatOf = (u) => (u ? str(u.wa_id || u.user_id) : '');
  const myChat = () => chatOf(state.me);
  const chatKey = (number, chat) => `${number} ${chat}`;
  const biz = () => state.numbers.find((n) => n.phone_number_id === state.number) || state.business;
  const numberName = (id) => (state.numbers.find((n) => n.phone_number_id === id) || { name: id }).name;
  const inChat = (m, number, chat) => m.phone_number_id === number && m.chat === chat;
  const chatMessages = () =>
    [...state.messages.values()].filter((m) => inChat(m, state.number, myChat())).sort((a, b) => a.seq - b.seq);

  // Text without WhatsApp's markers, for one-line previews (same rules as `inline`).
  function plain(text) {
    let s = str(text).replace(/```/g, '');
    for (const m of ['\\*', '_', '~', '`']) {
      const re = new RegExp(`(^|[^\\p{L}\\p{N}_${m}])${m}(?!\\s)([^${m}\\n]*?[^\\s${m}])${m}(?![\\p{L}\\p{N}_${m}])`, 'gu');
      s = s.replace(re, '$1$2');
    }
    return s.replace(/\n+/g, ' ');
  }

  function summary(m) {
    return plain(rawSummary(m));
  }

  function rawSummary(m) {
    if (!m) return '';
    const p = m.payload || {};
    const t = m.type;
    if (t === 'text') return str(p.text?.body);
    if (t === 'image') return '📷 ' + (p.image?.caption || 'Photo');
    if (t === 'video') return '🎥 ' + (p.video?.caption || 'Video');
    if (t === 'audio') return p.audio?.voice ? '🎤 Voice message' : '🎤 Audio';
    if (t === 'sticker') return 'Sticker';
    if (t === 'document') return '📄 ' + (p.document?.filename || p.document?.caption || 'Document');
    if (t === 'location') return '📍 ' + (p.location?.name || 'Location');
    if (t === 'contacts') return '👤 ' + str(p.contacts?.[0]?.name?.formatted_name || 'Contact');
    if (t === 'template') return '📋 ' + str(p.template?.name);
    if (t === 'button') return str(p.button?.text);
    if (t === 'interactive') {
      const i = p.interactive || {};
      return str(i.button_reply?.title || i.list_reply?.title || i.body?.text || i.header?.text || 'Interactive message');
    }
    return t;
  }

  function mediaSrc(o) {
    if (!o) return '/_sandbox/media/unknown';
    if (o.link) {
      try {
        const u = new URL(o.link);
        if (['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) return o.link;
      } catch (_) { /* not a URL: fall back to a generated picture */ }
      return '/_sandbox/media/' + encodeURIComponent(o.link);
    }
    return '/_sandbox/media/' + encodeURIComponent(o.id || 'unknown');
  }
  function fallbackAttr(o) {
    const key = encodeURIComponent(str(o?.link || o?.id || 'unknown'));
    return `onerror="this.onerror=null;this.src='/_sandbox/media/${esc(key)}'"`;
  }
  function sourceBadge(o) {
    if (!o) return '';
    if (o.link) {
      let label = o.link;
      try { const u = new URL(o.link); label = u.host + u.pathname; } catch (_) { /* keep the raw text */ }
      return `<span class="badge" title="${esc(o.link)}">🔗 ${esc(label)}</span>`;
    }
    return o.id ? `<span class="badge" title="media id">id ${esc(o.id)}</span>` : '';
  }

  // Each renderer returns { html, after, mediaOnly, cls }: bubble content, what goes
  // under the bubble (reply buttons), whether the bubble is only a picture.
  function fileSize(n) {
    n = Number(n) || 0;
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
    return `${(n / 1024 / 1024).toFixed(1)} MB`;
  }
  // `media`: what the sandbox knows of media the business sent by id (an upload's
  // name, type, size and the URL serving its bytes).
  function renderMedia(kind, o, media) {
    o = o || {};
    const caption = o.caption ? `<div class="text">${format(o.caption)}</div>` : '';
    if (media && media.url && !['image', 'sticker'].includes(kind)) {
      const name = media.filename || o.filename || `${kind} ${media.id}`;
      const ext = (name.includes('.') ? name.split('.').pop() : kind).slice(0, 4).toUpperCase();
      const sub = `${str(media.mime_type)} · ${fileSize(media.file_size)} · media id ${media.id}`;
      return {
        html: `<a class="doc" href="${esc(media.url)}" target="_blank" rel="noopener"><span class="doc-icon">${esc(ext)}</span><span><div class="doc-name">${esc(name)}</div><div class="doc-sub">${esc(sub)}</div></span></a>${caption}`,
      };
    }
    if (kind === 'image' || kind === 'video') {
      const play = kind === 'video' ? `<span class="play">${ICON.play}</span>` : '';
      const html = `<div class="media-wrap${caption ? '' : ' only'}"><img src="${esc(mediaSrc(o))}" ${fallbackAttr(o)} alt="${esc(kind)}">${play}${sourceBadge(o)}</div>${caption}`;
      return { html, mediaOnly: !caption };
    }
    if (kind === 'sticker') {
      return { html: `<img src="${esc(mediaSrc(o))}" ${fallbackAttr(o)} alt="sticker">`, cls: 'sticker', mediaOnly: true };
    }
    if (kind === 'audio') {
      const bars = Array.from({ length: 28 }, (_, i) => 5 + Math.round(Math.abs(Math.sin(i * 1.7) * 15 + Math.cos(i * 0.6) * 5)));
      const wave = bars.map((h) => `<i style="height:${h}px"></i>`).join('');
      return { html: `<div class="audio"><span class="play-btn">${ICON.playGrey}</span><span class="wave">${wave}</span><span class="mic">${ICON.mic}</span></div>` };
    }
    // document
    let name = o.filename || '';
    if (!name && o.link) { try { name = decodeURIComponent(new URL(o.link).pathname.split('/').pop()); } catch (_) { name = ''; } }
    name = name || 'Document';
    const ext = (name.includes('.') ? name.split('.').pop() : 'file').slice(0, 4).toUpperCase();
    const sub = o.id ? `${ext} · media id ${o.id}` : `${ext} · ${o.link || ''}`;
    return {
      html: `<a class="doc" href="${esc(mediaSrc(o))}" target="_blank" rel="noopener"><span class="doc-icon">${esc(ext)}</span><span><div class="doc-name">${esc(name)}</div><div class="doc-sub">${esc(sub)}</div></span></a>${caption}`,
    };
  }

  function renderLocation(l) {
    l = l || {};
    const lat = Number(l.latitude), lon = Number(l.longitude);
    const href = `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=16/${lat}/${lon}`;
    const name = l.name ? `<div class="place-name">${esc(l.name)}</div>` : '';
    const addr = l.address ? `<div class="place-addr">${esc(l.address)}</div>` : '';
    const coords = !name && !addr ? `<div class="place-addr">${lat.toFixed(5)}, ${lon.toFixed(5)}</div>` : '';
    return { html: `<a class="map" href="${esc(href)}" target="_blank" rel="noopener" title="${lat}, ${lon}">${ICON.pin}</a>${name}${addr}${coords}` };
  }

  function renderContacts(cards) {
    const html = (Array.isArray(cards) ? cards : []).map((c) => {
      const phoneText = c.phones?.[0]?.phone || c.emails?.[0]?.email || '';
      const org = c.org?.company ? ` · ${c.org.company}` : '';
      return `<div class="contact-card"><span class="contact-avatar">${ICON.person}</span><span><div class="contact-name">${esc(c.name?.formatted_name || 'Contact')}</div><div class="contact-sub">${esc(phoneText + org)}</div></span></div>`;
    }).join('');
    return { html };
  }

  function renderInteractive(m) {
    const i = m.payload.interactive || {};
    let html = '';
    const h = i.header;
    if (h) {
      if (h.type === 'text') html += `<div class="header-text">${format(h.text)}</div>`;
      else if (['image', 'video', 'document'].includes(h.type)) html += renderMedia(h.type, h[h.type]).html;
    }
    if (i.body?.text) html += `<div class="text">${format(i.body.text)}</div>`;
    if (i.footer?.text) html += `<div class="footer-text">${esc(i.footer.text)}</div>`;
    let after = '';
    const a = i.action || {};
    if (i.type === 'button') {
      const buttons = (a.buttons || []).map((b) => b.reply || {});
      after = `<div class="reply-buttons">${buttons.map((r) =>
        `<button class="action" type="button" data-testid="reply-button" data-act="button_reply" data-mid="${esc(m.id)}" data-id="${esc(r.id)}" data-title="${esc(r.title)}">${ICON.reply}${esc(r.title)}</button>`).join('')}</div>`;
    } else if (i.type === 'list') {
      html += `<div class="actions"><button class="action" type="button" data-act="open-list" data-mid="${esc(m.id)}">${ICON.list}${esc(a.button || 'Options')}</button></div>`;
    } else if (i.type === 'cta_url') {
      const p = a.parameters || {};
      html += `<div class="actions"><a class="action" href="${esc(p.url)}" target="_blank" rel="noopener noreferrer" title="${esc(p.url)}">${ICON.external}${esc(p.display_text || p.url)}</a></div>`;
    } else if (i.type === 'location_request_message') {
      html += `<div class="actions"><button class="action" type="button" data-act="send-location" data-mid="${esc(m.id)}">📍 Send location</button></div>`;
    } else {
      const label = a.parameters?.flow_cta || a.button || i.type;
      html = `<span class="kind-label">interactive · ${esc(i.type)}</span>` + html +
        `<div class="actions"><span class="action" title="Not simulated by the sandbox">${esc(label)}</span></div>`;
    }
    return { html, after };
  }

  function templateParam(p) {
    if (!p) return '';
    if (p.type === 'text') return str(p.text);
    if (p.type === 'currency') return str(p.currency?.fallback_value);
    if (p.type === 'date_time') return str(p.date_time?.fallback_value);
    if (p.type === 'payload') return str(p.payload);
    return p.type;
  }

  function renderTemplate(m) {
    const t = m.payload.template || {};
    const comps = Array.isArray(t.components) ? t.components : [];
    let html = '';
    for (const c of comps.filter((c) => c.type === 'header')) {
      for (const p of c.parameters || []) {
        if (['image', 'video', 'document'].includes(p.type)) html += renderMedia(p.type, p[p.type]).html;
        else html += `<div class="header-text">${esc(templateParam(p))}</div>`;
      }
    }
    html += `<span class="kind-label">TEMPLATE · ${esc(t.language?.code || '')}</span>`;
    html += `<div class="text"><b>${esc(t.name)}</b></div>`;
    const body = comps.filter((c) => c.type === 'body').flatMap((c) => c.parameters || []);
    if (body.length) {
      html += `<div class="tpl-params">${body.map((p, i) => `<span>{{${i + 1}}} ${esc(templateParam(p))}</span>`).join('')}</div>`;
    }
    const buttons = comps.filter((c) => c.type === 'button');
    const quick = buttons.filter((b) => b.sub_type === 'quick_reply');
    const urls = buttons.filter((b) => b.sub_type !== 'quick_reply');
    if (urls.length) {
      html += `<div class="actions">${urls.map((b) => `<span class="action" title="URL button ${esc(b.index)}">${ICON.external}${esc(templateParam(b.parameters?.[0]))}</span>`).join('')}</div>`;
    }
    const after = quick.length ? `<div class="reply-buttons">${quick.map((b) => {
      const payload = templateParam(b.parameters?.[0]);
      return `<button class="action" type="button" data-act="template-button" data-mid="${esc(m.id)}" data-payload="${esc(payload)}">${ICON.reply}${esc(payload)}</button>`;
    }).join('')}</div>` : '';
    return { html, after };
  }

  function renderBot(m) {
    const p = m.payload || {};
    switch (m.type) {
      case 'text': return { html: `<div class="text">${format(p.text?.body)}</div>` };
      case 'image': case 'video': case 'audio': case 'document': case 'sticker': return renderMedia(m.type, p[m.type], m.media);
      case 'location': return renderLocation(p.location);
      case 'contacts': return renderContacts(p.contacts);
      case 'interactive': return renderInteractive(m);
      case 'template': return renderTemplate(m);
      default: return { html: `<span class="kind-label">${esc(m.type)}</span><pre class="text">${esc(JSON.stringify(p[m.type] ?? p, null, 1))}</pre>` };
    }
  }

  function renderUser(m) {
    const p = m.payload || {};
    switch (m.type) {
      case 'text': return { html: `<div class="text">${format(p.text?.body)}</div>` };
      case 'image': return renderMedia('image', p.image);
      case 'audio': return renderMedia('audio', p.audio);
      case 'location': return renderLocation(p.location);
      case 'interactive': {
        const r = p.interactive?.button_reply || p.interactive?.list_reply || {};
        const d = r.description ? `<div class="footer-text">${esc(r.description)}</div>` : '';
        return { html: `<div class="text">${esc(r.title)}</div>${d}` };
      }
      case 'button': return { html: `<div class="text">${esc(p.button?.text)}</div>` };
      default: return { html: `<div class="text">${esc(summary(m))}</div>` };
    }
  }

  function quoteHtml(id) {
    if (!id) return '';
    const target = state.messages.get(id);
    const who = !target ? 'Message' : target.from === 'bot' ? numberName(target.phone_number_id) : 'You';
    const text = target ? summary(target) : id;
    return `<div class="quote${target && target.from === 'bot' ? ' bot' : ''}" data-act="jump" data-target="${esc(id)}"><div class="q-name">${esc(who)}</div><div class="q-text">${esc(text)}</div></div>`;
  }

  function ticks(m) {
    if (m.from !== 'user') return '';
    if (m.status === 'pending') return ICON.clock;
    if (m.status === 'read') return ICON.two(true);
    if (m.status === 'failed') return `<button class="retry" type="button" data-act="retry" data-mid="${esc(m.id)}" title="${esc((m.error || 'Not delivered') + ' (click to send again)')}">!</button>`;
    if (m.status === 'delivered') return ICON.two(false);
    return ICON.one;
  }

  function devTitle(m) {
    const lines = [m.id];
    if (m.from === 'bot') {
      const st = (m.detail?.statuses || []).map((s) => `${s.status}${s.http ? ' → ' + s.http : s.error ? ' ✗' : ''}`);
      lines.push('Graph: POST /messages (' + m.type + ')');
      if (st.length) lines.push('status webhooks: ' + st.join(', '));
      if (m.error) lines.push(m.error);
    } else if (m.detail?.webhook) {
      const w = m.detail.webhook;
      lines.push(w.status ? `webhook answered ${w.status} in ${w.ms} ms` : `webhook: ${w.error}`);
    }
    return lines.join('\n');
  }

  function rowFor(m, prev) {
    const mine = m.from === 'user';
    const first = !prev || prev.from !== m.from;
    const r = mine ? renderUser(m) : renderBot(m);
    const ctx = mine ? m.payload?.context?.id : m.payload?.context?.message_id;
    const metaCls = r.mediaOnly ? 'meta on-media' : 'meta';
    const spacer = r.mediaOnly || r.cls === 'sticker' ? '' : '<span class="spacer"></span>';
    const reactions = [m.reactions?.user, m.reactions?.bot].filter(Boolean);
    const badge = reactions.length
      ? `<div class="reactions" title="${esc(reactions.length > 1 ? 'You and the business reacted' : m.reactions.user ? 'Your reaction' : biz().name + ' reacted')}">${reactions.map(esc).join('')}${reactions.length > 1 ? '<span class="count">2</span>' : ''}</div>`
      : '';
    const tail = first && r.cls !== 'sticker' ? ` tail ${mine ? 'out-tail' : 'in-tail'}` : '';
    const row = document.createElement('div');
    row.className = `row ${mine ? 'out' : 'in'}${first ? ' first' : ''}${reactions.length ? ' has-reaction' : ''}`;
    row.dataset.id = m.id;
    row.dataset.testid = mine ? 'user-message' : 'bot-message';
    row.innerHTML =
      `<div class="stack"><div class="bubble${tail}${r.cls ? ' ' + r.cls : ''}${m.status === 'failed' && mine ? ' failed' : ''}" title="${esc(devTitle(m))}">` +
      `${quoteHtml(ctx)}${r.html}${spacer}<span class="${metaCls}">${time(m.ts)}${ticks(m)}</span></div>${r.after || ''}${badge}</div>` +
      `<button class="hover-btn" type="button" data-act="menu" data-mid="${esc(m.id)}" title="${mine ? 'Reply' : 'React or reply'}" aria-label="Message actions">${ICON.smile}</button>`;
    placeMeta(row.querySelector('.bubble'));
    return row;
  }

  // The time sits after the last line of text when there is room (a spacer keeps it
  // from covering the text); after anything else it gets a line of its own.
  function placeMeta(bubble) {
    const meta = bubble.querySelector(':scope > .meta');
    const spacer = bubble.querySelector(':scope > .spacer');
    const actions = bubble.querySelector(':scope > .actions');
    if (!meta) return;
    if (actions) {
      spacer?.remove();
      meta.classList.add('block');
      bubble.insertBefore(meta, actions);
      return;
    }
    if (!spacer) return;
    const prev = spacer.previousElementSibling;
    if (!prev || !prev.matches('.text, .footer-text, .place-addr, .place-name, .header-text')) {
      spacer.remove();
      meta.classList.add('block');
      return;
    }
    let target = prev;
    const last = prev.lastElementChild;
    if (last && prev.lastChild === last) {
      if (last.matches('ul, ol')) target = last.lastElementChild || last;
      else if (last.matches('blockquote')) target = last;
      else if (last.matches('pre')) {
        spacer.remove();
        meta.classList.add('block');
        return;
      }
    }
    target.appendChild(spacer);
  }

  // ------------------------------------------------------------------ drawing
  const list = $('messages');
  const chat = $('chat');

  // Stay at the bottom while the reader is there, whatever grows (pictures loading,
  // the typing bubble, a reaction).
  let stick = true;
  function nearBottom() {
    return stick || chat.scrollHeight - chat.scrollTop - chat.clientHeight < 160;
  }
  chat.addEventListener('scroll', () => {
    stick = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 40;
  }, { passive: true });
  const pin = new ResizeObserver(() => { if (stick) scrollDown(false); });
  pin.observe(list);
  pin.observe(chat);
  function scrollDown(smooth) {
    chat.style.scrollBehavior = smooth ? 'smooth' : 'auto';
    chat.scrollTop = chat.scrollHeight;
    stick = true;
  }

  // The numbers other than the open one that this chat's user has written to, when they
  // never wrote to the open one: what the business sent here went to someone who wrote
  // elsewhere.
  function writtenElsewhere() {
    const chat = myChat();
    const numbers = new Set();
    for (const m of state.messages.values()) if (m.from === 'user' && m.chat === chat) numbers.add(m.phone_number_id);
    if (numbers.has(state.number)) return [];
    return [...numbers];
  }

  function drawElsewhere() {
    $('elsewhere')?.remove();
    const msgs = chatMessages();
    const others = writtenElsewhere();
    if (!msgs.length || !others.length) return;
    const chip = document.createElement('div');
    chip.className = 'chip elsewhere';
    chip.id = 'elsewhere';
    chip.dataset.testid = 'written-elsewhere';
    chip.textContent = `${state.me.name} has not written to ${biz().name}, only to ${others.map(numberName).join(', ')}. ` +
      `What shows here was sent from ${biz().name}'s number anyway.`;
    list.prepend(chip);
  }

  function drawAll() {
    list.textContent = '';
    const msgs = chatMessages();
    let prev = null;
    for (const m of msgs) {
      list.appendChild(rowFor(m, prev));
      prev = m;
    }
    drawElsewhere();
    if (!msgs.length) {
      const hint = document.createElement('div');
      hint.className = 'empty-hint';
      hint.id = 'empty-hint';
      hint.innerHTML =
        `<div class="wave-hand">👋</div><b>Say hi to ${esc(biz().name)}</b>` +
        `<p>Type below as <b>${esc(state.me.name)}</b>, to ${esc(biz().display_phone_number)}. The sandbox wraps it in Meta's webhook envelope (with this number's <code>metadata</code>), signs it, and POSTs it to the component. Whatever the component sends back from this number through the Graph API shows up here.</p>` +
        `<p class="tips">📎 sample photo, location or voice note · hover a reply (or long-press) to react or quote · ⋮ for faults and the request log</p>`;
      list.appendChild(hint);
    }
    markSeen();
    drawTyping();
    requestAnimationFrame(() => scrollDown(false));
  }

  function upsert(m) {
    const had = state.messages.get(m.id);
    state.messages.set(m.id, m);
    if (!state.me || !inChat(m, state.number, myChat())) {
      drawWho();
      drawBiz();
      return;
    }
    const existing = list.querySelector(`.row[data-id="${CSS.escape(m.id)}"]`);
    if (existing) {
      const msgs = chatMessages();
      const i = msgs.findIndex((x) => x.id === m.id);
      const row = rowFor(m, i > 0 ? msgs[i - 1] : null);
      existing.replaceWith(row);
      return;
    }
    const stick = nearBottom() || m.from === 'user';
    $('empty-hint')?.remove();
    const msgs = chatMessages();
    const i = msgs.findIndex((x) => x.id === m.id);
    const row = rowFor(m, i > 0 ? msgs[i - 1] : null);
    if (!had) row.classList.add('enter');
    const next = msgs[i + 1] && list.querySelector(`.row[data-id="${CSS.escape(msgs[i + 1].id)}"]`);
    if (next) list.insertBefore(row, next); else list.appendChild(row);
    if (!had) drawElsewhere();
    if (m.from === 'bot') {
      delete state.typing[chatKey(m.phone_number_id, m.chat)];
      drawTyping();
    }
    markSeen();
    if (stick) requestAnimationFrame(() => scrollDown(true));
  }

  function markSeen() {
    if (!state.me) return;
    const seqs = chatMessages().map((m) => m.seq);
    state.seen[chatKey(state.number, myChat())] = Math.max(0, ...seqs);
    drawWho();
    drawBiz();
  }

  // Bot messages not seen yet in business number `number`'s chat with `chat`, or in all
  // of that number's chats when `chat` is null.
  function unread(number, chat) {
    let n = 0;
    for (const m of state.messages.values()) {
      if (m.from !== 'bot' || m.phone_number_id !== number || (chat != null && m.chat !== chat)) continue;
      if (m.seq > (state.seen[chatKey(number, m.chat)] || 0)) n += 1;
    }
    return n;
  }

  let typingTimer = null;
  function drawTyping() {
    const until = state.me ? state.typing[chatKey(state.number, myChat())] || 0 : 0;
    const on = until > Date.now();
    $('typing').hidden = !on;
    const sub = $('sub');
    sub.textContent = on ? 'typing…' : `Business account · ${biz().display_phone_number || ''}`;
    sub.classList.toggle('typing', on);
    clearTimeout(typingTimer);
    if (on) {
      typingTimer = setTimeout(drawTyping, until - Date.now() + 50);
      if (nearBottom()) requestAnimationFrame(() => scrollDown(true));
    }
  }

  function drawWho() {
    if (!state.me) return;
    $('who-name').textContent = `${state.me.name} (${ident(state.me)})`;
    const av = $('who-avatar');
    av.textContent = initials(state.me.name);
    av.style.background = hashColor(myChat());
    const others = knownUsers().filter((u) => chatOf(u) !== myChat()).reduce((n, u) => n + unread(state.number, chatOf(u)), 0);
    $('who').title = others ? `${others} unread in other chats. Choose who you are.` : 'Choose who you are in this chat';
    $('who-avatar').style.boxShadow = others ? '0 0 0 2px #25d366' : 'none';
    $('input').placeholder = `Message as ${state.me.name}`;
    if (state.sheet === 'users') openUsers();
  }

  // The business number switcher: the open number, and a ring when another number has
  // unread messages.
  function drawBiz() {
    const b = biz();
    $('biz-pick-name').textContent = `${b.name} (${b.display_phone_number || b.phone_number_id})`;
    const others = state.numbers.filter((n) => n.phone_number_id !== state.number).reduce((n, x) => n + unread(x.phone_number_id, null), 0);
    $('biz').title = others ? `${others} unread from other business numbers. Choose which number you write to.` : 'Choose which business number you write to';
    $('biz-avatar').style.boxShadow = others ? '0 0 0 2px #ffd279' : 'none';
    if (state.sheet === 'numbers') openNumbers();
  }

  function drawHeader() {
    $('biz-name').textContent = biz().name;
    document.title = `${biz().name} · WhatsApp Sandbox`;
    $('notice-text').innerHTML =
      `Local sandbox: what you send is signed like Meta's and POSTed to <code>${esc(state.webhook)}</code>. ` +
      `Replies are what the component sends to <code>${esc(state.graphUrl)}</code>.`;
  }

  function drawHook() {
    const h = state.hook || {};
    const dot = $('hook-dot');
    dot.className = 'dot' + (h.state === 'ok' ? ' ok' : h.state === 'error' || h.state === 'unreachable' ? ' error' : '');
    let text = 'webhook: not called yet';
    if (!state.connected) text = 'sandbox offline…';
    else if (h.state === 'ok') text = `webhook ${h.status} · ${h.ms} ms`;
    else if (h.state === 'error') text = `webhook HTTP ${h.status}`;
    else if (h.state === 'unreachable') text = 'webhook unreachable';
    $('hook-text').textContent = text;
    $('hook').title = (h.error || text) + `\n${state.webhook}`;
  }

  // ------------------------------------------------------------------ banner
  let bannerTimer = null;
  function banner(text, kind) {
    const b = $('banner');
    b.classList.toggle('info', kind === 'info');
    $('banner-text').textContent = text;
    b.hidden = false;
    clearTimeout(bannerTimer);
    if (kind === 'info') bannerTimer = setTimeout(() => { b.hidden = true; }, 6000);
  }
  $('banner-close').addEventListener('click', () => { $('banner').hidden = true; });

  // ------------------------------------------------------------------ server calls
  async function api(method, url, body) {
    const init = { method, headers: {} };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(url, init);
    let data = null;
    try { data = await res.json(); } catch (_) { data = null; }
    return { status: res.status, data };
  }

  async function act(action) {
    const me = state.me;
    const body = { phone_number_id: state.number, name: me.name, ...action };
    if (me.wa_id) body.from = me.wa_id;
    if (me.user_id) body.user_id = me.user_id;
    if (me.username) body.username = me.username;
    try {
      const { status, data } = await api('POST', '/_sandbox/send', body);
      if (data?.user?.user_id && !me.user_id && chatOf(data.user) === chatOf(me)) {
        me.user_id = data.user.user_id;
        try { localStorage.setItem('sandbox.me', JSON.stringify(me)); } catch (_) { /* private mode */ }
      }
      if (status === 400 || status === 404 || status === 415) banner(data?.error || `The sandbox refused that (HTTP ${status}).`);
      else if (status === 200 && $('banner').classList.contains('info') === false && !$('banner').hidden) $('banner').hidden = true;
      return data;
    } catch (e) {
      banner('The sandbox itself is not reachable. Is `sandbox` still running?');
      return null;
    }
  }

  function reportVisibility() {
    if (state.client == null || !state.me) return;
    const visible = document.visibilityState === 'visible';
    api('POST', '/_sandbox/visibility', { client: state.client, visible, phone_number_id: state.number, chat: myChat() }).catch(() => {});
  }
  document.addEventListener('visibilitychange', reportVisibility);

  // ------------------------------------------------------------------ event stream
  function knownUsers() {
    const users = state.users.map((u) => ({ ...u }));
    for (const m of state.messages.values()) {
      if (!users.some((u) => chatOf(u) === m.chat)) {
        users.push({ wa_id: m.wa_id, user_id: m.user_id, name: m.name || (m.wa_id ? phone(m.wa_id) : m.user_id) });
      }
    }
    if (state.me && !users.some((u) => chatOf(u) === myChat())) users.push(state.me);
    return users;
  }

  function chooseMe(user, quiet) {
    state.me = { name: user.name, wa_id: user.wa_id || null, user_id: user.user_id || null, username: user.username || null };
    try { localStorage.setItem('sandbox.me', JSON.stringify(state.me)); } catch (_) { /* private mode */ }
    cancelReply();
    drawAll();
    drawWho();
    reportVisibility();
    if (!quiet) $('input').focus();
  }

  function chooseNumber(id, quiet) {
    state.number = id;
    try { localStorage.setItem('sandbox.number', id); } catch (_) { /* private mode */ }
    cancelReply();
    drawHeader();
    drawAll();
    drawWho();
    drawBiz();
    reportVisibility();
    if (!quiet) $('input').focus();
  }

  function connect() {
    const es = new EventSource('/_sandbox/events');
    es.addEventListener('snapshot', (e) => {
      const d = JSON.parse(e.data);
      state.connected = true;
      state.client = d.client;
      state.business = d.business;
      state.numbers = d.numbers && d.numbers.length ? d.numbers : [d.business];
      if (!state.numbers.some((n) => n.phone_number_id === state.number)) {
        let saved = null;
        try { saved = localStorage.getItem('sandbox.number'); } catch (_) { saved = null; }
        state.number = state.numbers.some((n) => n.phone_number_id === saved) ? saved : state.numbers[0].phone_number_id;
      }
      state.webhook = d.webhook;
      state.graphUrl = d.graph_url;
      state.verifyTokenSet = d.verify_token_set;
      state.users = d.users || [];
      state.messages = new Map((d.messages || []).map((m) => [m.id, m]));
      const skew = Date.now() - (d.now || Date.now());
      state.typing = {};
      for (const t of d.typing || []) state.typing[chatKey(t.phone_number_id, t.chat)] = t.until + skew;
      state.hook = d.webhook_state || { state: 'unknown' };
      if (!state.me) {
        let saved = null;
        try { saved = JSON.parse(localStorage.getItem('sandbox.me') || 'null'); } catch (_) { saved = null; }
        state.me = saved && (saved.wa_id || saved.user_id) ? saved : state.users[0] || { name: 'Alice Johnson', wa_id: '16505551234' };
      }
      drawHeader();
      drawHook();
      drawAll();
      drawWho();
      drawBiz();
      reportVisibility();
    });
    es.addEventListener('message', (e) => upsert(JSON.parse(e.data)));
    es.addEventListener('typing', (e) => {
      const d = JSON.parse(e.data);
      const key = chatKey(d.phone_number_id, d.chat);
      if (d.on) state.typing[key] = Date.now() + Math.max(0, d.until - Date.now()) || Date.now() + 25000;
      else delete state.typing[key];
      drawTyping();
    });
    es.addEventListener('webhook', (e) => {
      state.hook = JSON.parse(e.data);
      drawHook();
      if (state.sheet === 'tools') drawToolsLive();
    });
    es.addEventListener('notice', (e) => {
      const d = JSON.parse(e.data);
      banner(d.text, d.level === 'error' ? 'error' : 'info');
    });
    es.addEventListener('verify', (e) => {
      const d = JSON.parse(e.data);
      banner(d.ok ? d.text : d.error, d.ok ? 'info' : 'error');
    });
    es.addEventListener('reset', () => {
      state.messages.clear();
      state.typing = {};
      drawAll();
    });
    es.addEventListener('request', (e) => {
      state.requests.push(JSON.parse(e.data));
      if (state.requests.length > 200) state.requests.shift();
      if (state.sheet === 'tools') drawToolsLive();
    });
    es.addEventListener('requests_cleared', () => {
      state.requests = [];
      if (state.sheet === 'tools') drawToolsLive();
    });
    es.addEventListener('faults', (e) => {
      state.faults = JSON.parse(e.data);
      if (state.sheet === 'tools') drawToolsLive();
    });
    es.onerror = () => {
      state.connected = false;
      drawHook();
    };
  }

  // ------------------------------------------------------------------ composer
  const input = $('input');
  function autosize() {
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight, 120) + 'px';
  }
  input.addEventListener('input', autosize);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      sendText();
    }
  });
  $('send-btn').addEventListener('click', sendText);

  function sendText() {
    const text = input.value;
    if (!text.trim()) { input.focus(); return; }
    input.value = '';
    autosize();
    const context = state.replyTo;
    cancelReply();
    act({ type: 'text', text, context });
    input.focus();
  }

  function startReply(id) {
    const m = state.messages.get(id);
    if (!m) return;
    state.replyTo = id;
    $('reply-name').textContent = m.from === 'bot' ? numberName(m.phone_number_id) : 'You';
    $('reply-text').textContent = summary(m);
    $('reply-bar').querySelector('.quote').classList.toggle('bot', m.from === 'bot');
    $('reply-bar').hidden = false;
    input.focus();
  }
  function cancelReply() {
    state.replyTo = null;
    $('reply-bar').hidden = true;
  }
  $('reply-cancel').addEventListener('click', cancelReply);

  $('attach-btn').addEventListener('click', (e) => {
    e.stopPropagation();
    $('attach-menu').hidden = !$('attach-menu').hidden;
  });
  $('attach-menu').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-attach]');
    if (!b) return;
    $('attach-menu').hidden = true;
    const context = state.replyTo;
    cancelReply();
    if (b.dataset.attach === 'image') {
      const caption = input.value.trim();
      input.value = '';
      autosize();
      act({ type: 'image', caption, context });
    } else if (b.dataset.attach === 'audio') {
      act({ type: 'audio', context });
    } else {
      sendLocation(context);
    }
  });
  function sendLocation(context) {
    const place = PLACES[Math.floor(Math.random() * PLACES.length)];
    act({ type: 'location', ...place, context });
  }

  // ------------------------------------------------------------------ clicks in the chat
  list.addEventListener('click', (e) => {
    const el = e.target.closest('[data-act]');
    if (!el) return;
    const m = state.messages.get(el.dataset.mid);
    switch (el.dataset.act) {
      case 'button_reply':
        act({ type: 'button_reply', context: el.dataset.mid, id: el.dataset.id, title: el.dataset.title });
        break;
      case 'template-button':
        act({ type: 'button', context: el.dataset.mid, payload: el.dataset.payload, text: el.dataset.payload });
        break;
      case 'open-list':
        if (m) openList(m);
        break;
      case 'send-location':
        sendLocation(el.dataset.mid);
        break;
      case 'retry':
        act({ type: 'retry', id: el.dataset.mid });
        break;
      case 'menu':
        openReactions(el.dataset.mid, el);
        break;
      case 'jump': {
        const row = list.querySelector(`.row[data-id="${CSS.escape(el.dataset.target)}"]`);
        if (row) {
          row.scrollIntoView({ behavior: 'smooth', block: 'center' });
          row.classList.remove('flash');
          void row.offsetWidth;
          row.classList.add('flash');
        }
        break;
      }
      default:
        break;
    }
  });

  // Right click or long press on a bubble opens the reaction bar.
  list.addEventListener('contextmenu', (e) => {
    const row = e.target.closest('.row');
    if (!row || e.target.closest('a')) return;
    e.preventDefault();
    openReactions(row.dataset.id, row.querySelector('.bubble'));
  });
  let pressTimer = null;
  list.addEventListener('pointerdown', (e) => {
    if (e.pointerType === 'mouse') return;
    const row = e.target.closest('.row');
    if (!row) return;
    pressTimer = setTimeout(() => openReactions(row.dataset.id, row.querySelector('.bubble')), 450);
  });
  for (const ev of ['pointerup', 'pointercancel', 'pointermove']) list.addEventListener(ev, () => clearTimeout(pressTimer));

  // ------------------------------------------------------------------ reaction popup
  const pop = $('react-pop');
  function openReactions(id, anchor) {
    const m = state.messages.get(id);
    if (!m) return;
    const canReact = m.from === 'bot';
    const mine = m.reactions?.user || '';
    pop.innerHTML = (canReact
      ? EMOJIS.map((e) => `<button type="button" data-emoji="${e}" class="${e === mine ? 'mine' : ''}" title="${e === mine ? 'Remove reaction' : 'React'}">${e}</button>`).join('') + '<span class="sep"></span>'
      : '') + `<button type="button" class="reply-act" data-reply="1">${ICON.reply} Reply</button>`;
    pop.dataset.mid = id;
    pop.hidden = false;
    const r = anchor.getBoundingClientRect();
    const w = pop.offsetWidth;
    const left = Math.max(8, Math.min(window.innerWidth - w - 8, m.from === 'bot' ? r.left : r.right - w));
    const top = r.top - pop.offsetHeight - 8 < 70 ? r.bottom + 8 : r.top - pop.offsetHeight - 8;
    pop.style.left = left + 'px';
    pop.style.top = top + 'px';
  }
  pop.addEventListener('click', (e) => {
    const b = e.target.closest('button');
    if (!b) return;
    const id = pop.dataset.mid;
    pop.hidden = true;
    if (b.dataset.reply) { startReply(id); return; }
    const m = state.messages.get(id);
    const emoji = b.dataset.emoji === (m?.reactions?.user || '') ? '' : b.dataset.emoji;
    act({ type: 'reaction', message_id: id, emoji });
  });

  // ------------------------------------------------------------------ sheets
  const sheet = $('sheet');
  const backdrop = $('backdrop');
  function openSheet(name, html) {
    state.sheet = name;
    sheet.innerHTML = html;
    sheet.hidden = false;
    backdrop.hidden = false;
  }
  function closeSheet() {
    state.sheet = null;
    sheet.hidden = true;
    backdrop.hidden = true;
  }
  backdrop.addEventListener('click', closeSheet);
  const head = (title) => `<div class="sheet-head"><h2>${esc(title)}</h2><button class="icon-btn" type="button" data-close="1" aria-label="Close">×</button></div>`;

  function openList(m) {
    const i = m.payload.interactive || {};
    const sections = i.action?.sections || [];
    let body = '';
    sections.forEach((s, si) => {
      if (s.title) body += `<div class="section-title">${esc(s.title)}</div>`;
      (s.rows || []).forEach((r, ri) => {
        body += `<button class="option" type="button" data-row="${si}:${ri}"><span class="o-main"><div class="o-title">${esc(r.title)}</div>${r.description ? `<div class="o-desc">${esc(r.description)}</div>` : ''}</span><span class="radio"></span></button>`;
      });
    });
    openSheet('list', `${head(i.action?.button || 'Options')}<div class="sheet-body">${body}</div><div class="sheet-foot"><button class="primary" type="button" data-send-row="1" disabled>Send</button></div>`);
    sheet.dataset.mid = m.id;
  }

  function userDesc(u) {
    const parts = [];
    if (u.wa_id) parts.push(phone(u.wa_id));
    else parts.push('no phone number');
    if (u.username) parts.push('@' + u.username);
    if (u.user_id) parts.push(u.user_id);
    return parts.join(' · ');
  }

  function openUsers() {
    const users = knownUsers();
    const rows = users.map((u) => {
      const chat = chatOf(u);
      const mine = chat === myChat();
      const n = mine ? 0 : unread(state.number, chat);
      return `<button class="option${mine ? ' selected' : ''}" type="button" data-user="${esc(chat)}">` +
        `<span class="user-avatar" style="background:${hashColor(chat)}">${esc(initials(u.name))}</span>` +
        `<span class="o-main"><div class="o-title">${esc(u.name)}</div><div class="o-desc">${esc(userDesc(u))}</div></span>` +
        `${n ? `<span class="unread">${n}</span>` : ''}<span class="radio"></span></button>`;
    }).join('');
    const html = `${head('Who are you?')}<div class="sheet-body"><div class="tool-group"><p>Each user has their own chat with each business number. Messages carry this name (<code>contacts[].profile.name</code>), the user id (<code>from_user_id</code>, <code>contacts[].user_id</code>), the username when there is one (<code>contacts[].profile.username</code>) and the phone number unless the user has none (<code>from</code>, <code>wa_id</code>).</p></div>${rows}` +
      `<div class="section-title">Someone else</div><form class="form" id="user-form"><input name="name" placeholder="Name" maxlength="60" required><input name="number" placeholder="Number, e.g. +44 7700 900123" inputmode="tel" required><input name="username" placeholder="Username (optional)" maxlength="35" autocomplete="off"><button class="primary" type="submit">Use</button></form></div>`;
    if (state.sheet === 'users') {
      const body = sheet.querySelector('.sheet-body');
      const focused = document.activeElement && sheet.contains(document.activeElement) && document.activeElement.tagName === 'INPUT';
      if (body && !focused) sheet.innerHTML = html;
      return;
    }
    openSheet('users', html);
  }
  $('who').addEventListener('click', openUsers);

  function openNumbers() {
    const rows = state.numbers.map((b) => {
      const mine = b.phone_number_id === state.number;
      const n = mine ? 0 : unread(b.phone_number_id, null);
      return `<button class="option${mine ? ' selected' : ''}" type="button" data-number="${esc(b.phone_number_id)}">` +
        `<span class="user-avatar" style="background:#25d366">${esc(initials(b.name))}</span>` +
        `<span class="o-main"><div class="o-title">${esc(b.name)}</div><div class="o-desc">${esc(b.display_phone_number)} · phone number id ${esc(b.phone_number_id)}</div></span>` +
        `${n ? `<span class="unread">${n}</span>` : ''}<span class="radio"></span></button>`;
    }).join('');
    const html = `${head('Which business number?')}<div class="sheet-body"><div class="tool-group"><p>The account's numbers share one webhook. What you write goes to the number chosen here: the webhook's <code>metadata.phone_number_id</code> and <code>display_phone_number</code> say which. What the component sends from a number shows in that number's chat.</p></div>${rows}</div>`;
    if (state.sheet === 'numbers') {
      sheet.innerHTML = html;
      return;
    }
    openSheet('numbers', html);
  }
  $('biz').addEventListener('click', openNumbers);

  const FAULTS = [
    ['Rate limit (130429)', { kind: 'graph_error', code: 130429 }],
    ['Pair rate (131056)', { kind: 'graph_error', code: 131056 }],
    ['24 h window (131047)', { kind: 'graph_error', code: 131047 }],
    ['Token expired (190)', { kind: 'graph_error', code: 190 }],
    ['Server error (131000)', { kind: 'graph_error', code: 131000 }],
    ['HTTP 503', { kind: 'http_status', status: 503 }],
    ['Non-JSON 502', { kind: 'non_json', status: 502 }],
    ['Slow: 40 s', { kind: 'delay_ms', ms: 40000 }],
    ['Close connection', { kind: 'close' }],
    ['Accept, then "failed"', { kind: 'status_failed', code: 131026 }],
  ];

  function toolsHtml() {
    const h = state.hook || {};
    const hookLine = h.state === 'ok' ? `answered ${h.status} in ${h.ms} ms` : h.error ? esc(h.error) : 'not called yet';
    const f = state.faults || { queue: [] };
    const queue = (f.queue || []).map((q) => `<code>${esc(q.kind)}${q.code ? ' ' + q.code : ''}${q.status ? ' ' + q.status : ''}${q.ms ? ' ' + q.ms + 'ms' : ''} ×${q.remaining}</code>`).join(' ');
    const modes = [f.rate_limit ? `<code>rate_limit ${f.rate_limit.per_second}/s</code>` : '', f.pair_rate ? `<code>pair_rate 1 per ${f.pair_rate.seconds}s</code>` : ''].filter(Boolean).join(' ');
    const reqs = state.requests.slice(-40).reverse().map((r) => {
      const st = r.response?.status ?? (r.response?.closed ? 'closed' : '?');
      const ok = typeof st === 'number' && st < 300;
      const kind = r.body?.type || (r.body?.status ? 'read receipt' : '');
      const fault = r.fault ? ` ⚡${esc(r.fault.kind)}` : '';
      const detail = JSON.stringify({ headers: r.headers, body: r.body ?? r.body_text, response: r.response, fault: r.fault }, null, 2);
      const from = r.phone_number_id && state.numbers.some((n) => n.phone_number_id === r.phone_number_id) ? ' · ' + esc(numberName(r.phone_number_id)) : '';
      return `<details class="req"><summary><span class="st ${ok ? 'ok' : 'bad'}">${esc(st)}</span><span class="path">${esc(r.method)} ${esc(r.path)}${kind ? ' · ' + esc(kind) : ''}${from}${fault}</span><span>${esc(r.ms ?? '')} ms</span></summary><pre>${esc(detail)}</pre></details>`;
    }).join('');
    return `<div class="tool-group"><div class="section-title" style="padding-left:0">Webhook</div>` +
      `<p><code>${esc(state.webhook)}</code> — ${hookLine}</p>` +
      `<div class="chips"><button class="secondary" type="button" data-tool="verify">Run verification handshake</button></div>` +
      (state.verifyTokenSet ? '' : `<p>Start the sandbox with <code>--verify-token</code> to test the GET handshake.</p>`) +
      `<p>Component settings: <code>WHATSAPP_GRAPH_API_URL=${esc(state.graphUrl)}</code> <code>WHATSAPP_PHONE_NUMBER_ID=${esc(state.business.phone_number_id)}</code>, plus the same app secret and access token as the sandbox.` +
      (state.numbers.length > 1 ? ` The account's other number${state.numbers.length > 2 ? 's' : ''}: ${state.numbers.slice(1).map((n) => `<code>${esc(n.phone_number_id)}</code> (${esc(n.name)})`).join(', ')}; the component answers from the number in each webhook's metadata.` : '') +
      `</p></div>` +
      `<div class="tool-group"><div class="section-title" style="padding-left:0">Make the next Graph call fail</div><div class="chips">` +
      FAULTS.map(([label], i) => `<button class="secondary" type="button" data-fault="${i}">${esc(label)}</button>`).join('') +
      `<button class="secondary" type="button" data-tool="pair">Pair rate mode</button><button class="secondary danger" type="button" data-tool="clear-faults">Clear faults</button></div>` +
      `<p>${queue || modes ? 'Queued: ' + queue + ' ' + modes : 'Nothing queued: the Graph API answers normally.'}</p></div>` +
      `<div class="tool-group"><div class="section-title" style="padding-left:0">Graph requests from the component (${state.requests.length})</div>` +
      (reqs || '<p>None yet. Everything the component sends to the Graph API shows up here, token redacted.</p>') +
      `<div class="chips" style="margin-top:8px"><button class="secondary" type="button" data-tool="clear-requests">Forget requests</button><button class="secondary danger" type="button" data-tool="clear-chat">Clear chat</button></div></div>`;
  }
  function drawToolsLive() {
    const body = sheet.querySelector('.sheet-body');
    if (!body) return;
    const open = [...body.querySelectorAll('details[open] summary .path')].map((p) => p.textContent);
    body.innerHTML = toolsHtml();
    if (open.length) body.querySelectorAll('details').forEach((d) => { if (open.includes(d.querySelector('.path')?.textContent)) d.open = true; });
  }
  async function openTools() {
    openSheet('tools', `${head('Sandbox tools')}<div class="sheet-body">${toolsHtml()}</div>`);
    try {
      const [reqs, faults] = await Promise.all([api('GET', '/_sandbox/requests'), api('GET', '/_sandbox/faults')]);
      state.requests = Array.isArray(reqs.data) ? reqs.data.slice(-200) : [];
      state.faults = faults.data;
      if (state.sheet === 'tools') drawToolsLive();
    } catch (_) { /* the stream will say the sandbox is offline */ }
  }
  $('tools-btn').addEventListener('click', openTools);
  $('hook').addEventListener('click', openTools);
  $('back').addEventListener('click', openUsers);

  sheet.addEventListener('click', async (e) => {
    if (e.target.closest('[data-close]')) { closeSheet(); return; }
    const row = e.target.closest('[data-row]');
    if (row) {
      sheet.querySelectorAll('.option').forEach((o) => o.classList.toggle('selected', o === row));
      sheet.querySelector('[data-send-row]').disabled = false;
      return;
    }
    if (e.target.closest('[data-send-row]')) {
      const chosen = sheet.querySelector('.option.selected');
      const m = state.messages.get(sheet.dataset.mid);
      if (!chosen || !m) return;
      const [si, ri] = chosen.dataset.row.split(':').map(Number);
      const r = m.payload.interactive.action.sections[si].rows[ri];
      closeSheet();
      act({ type: 'list_reply', context: m.id, id: r.id, title: r.title, description: r.description });
      return;
    }
    const user = e.target.closest('[data-user]');
    if (user) {
      const chosen = knownUsers().find((u) => chatOf(u) === user.dataset.user);
      closeSheet();
      if (chosen) chooseMe(chosen);
      return;
    }
    const number = e.target.closest('[data-number]');
    if (number) {
      closeSheet();
      chooseNumber(number.dataset.number);
      return;
    }
    const fault = e.target.closest('[data-fault]');
    if (fault) {
      const [, spec] = FAULTS[Number(fault.dataset.fault)];
      const { data } = await api('POST', '/_sandbox/faults', spec);
      if (data && data.queue) state.faults = data;
      drawToolsLive();
      return;
    }
    const tool = e.target.closest('[data-tool]');
    if (!tool) return;
    const t = tool.dataset.tool;
    if (t === 'verify') {
      const { data } = await api('POST', '/_sandbox/verify');
      if (data) banner(data.ok ? data.text : data.error, data.ok ? 'info' : 'error');
    } else if (t === 'pair') {
      const on = !(state.faults && state.faults.pair_rate);
      const { data } = await api('POST', '/_sandbox/faults', { kind: 'pair_rate', enabled: on });
      if (data) state.faults = data;
      drawToolsLive();
    } else if (t === 'clear-faults') {
      const { data } = await api('DELETE', '/_sandbox/faults');
      if (data) state.faults = data;
      drawToolsLive();
    } else if (t === 'clear-requests') {
      await api('DELETE', '/_sandbox/requests');
    } else if (t === 'clear-chat') {
      await api('DELETE', '/_sandbox/chat');
      closeSheet();
    }
  });
  sheet.addEventListener('submit', (e) => {
    e.preventDefault();
    const form = e.target;
    const digits = str(form.number.value).replace(/[^0-9]/g, '');
    const name = form.name.value.trim();
    const username = str(form.username?.value).trim().replace(/^@/, '');
    if (digits.length < 5 || digits.length > 15 || !name) {
      banner('Give a name and a number of 5 to 15 digits.');
      return;
    }
    closeSheet();
    const known = knownUsers().find((u) => u.wa_id === digits);
    chooseMe({ ...(known || {}), wa_id: digits, name, username: username || known?.username });
  });

  document.addEventListener('click', (e) => {
    if (!pop.hidden && !pop.contains(e.target) && !e.target.closest('[data-act="menu"]')) pop.hidden = true;
    if (!$('attach-menu').hidden && !e.target.closest('#attach-menu')) $('attach-menu').hidden = true;
  });
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape') return;
    pop.hidden = true;
    $('attach-menu').hidden = true;
    if (state.sheet) closeSheet();
    else if (state.replyTo) cancelReply();
  });
  chat.addEventListener('scroll', () => { pop.hidden = true; }, { passive: true });

  connect();
})();
