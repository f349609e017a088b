// A minimal chat client for this server: POST /v1/chat/completions with stream: true, read with fetch.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const keyInput = $('api-key');
  keyInput.value = localStorage.getItem('pagoda-api-key') || '';
  let history = [], model = null;

  function headers() {
    const key = keyInput.value.trim();
    localStorage.setItem('pagoda-api-key', key);
    const h = { 'Content-Type': 'application/json' };
    if (key) h.Authorization = 'Bearer ' + key;
    return h;
  }

  function show(role, text) {
    const div = document.createElement('div');
    div.className = 'msg ' + role;
    div.innerHTML = '<b></b><span></span>';
    div.firstChild.textContent = role;
    div.lastChild.textContent = text;
    $('messages').appendChild(div);
    return div.lastChild;
  }

  async function errorOf(res) {
    try { return (await res.json()).error.message; } catch (e) { return res.status + ' ' + res.statusText; }
  }

  async function send(text) {
    if (!model) {
      const res = await fetch('/v1/models', { headers: headers() });
      if (!res.ok) { $('status').textContent = await errorOf(res); return; }
      model = (await res.json()).data[0].id;
    }
    history.push({ role: 'user', content: text });
    show('user', text);
    const out = show('assistant', '');
    $('status').textContent = 'generating…';
    const res = await fetch('/v1/chat/completions', {
      method: 'POST', headers: headers(),
      body: JSON.stringify({ model, messages: history, stream: true, max_tokens: Number($('max-tokens').value) || 128 })
    });
    if (!res.ok) { out.textContent = '(' + await errorOf(res) + ')'; history.pop(); $('status').textContent = ''; return; }
    const reader = res.body.getReader(), decoder = new TextDecoder();
    let buffer = '', reply = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const line = buffer.slice(0, end).trim();
        buffer = buffer.slice(end + 2);
        if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
        const chunk = JSON.parse(line.slice(6));
        if (chunk.error) { reply += '(' + chunk.error.message + ')'; continue; }
        for (const c of chunk.choices || []) reply += (c.delta && c.delta.content) || '';
        out.textContent = reply;
      }
    }
    history.push({ role: 'assistant', content: reply });
    $('status').textContent = '';
  }

  $('form').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = $('input').value.trim();
    if (!text) return;
    $('input').value = '';
    send(text).catch((err) => { $('status').textContent = String(err); });
  });
  $('input').addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); $('form').requestSubmit(); } });
  $('reset').addEventListener('click', () => { history = []; $('messages').textContent = ''; });
})();
