// The live view: reads GET /live/events (server-sent events, read with fetch so that the API key can
// travel as a bearer header) and draws the KV block pool, the block tables and the scheduler's log.
// No framework and no build step: this file is served as it is.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const MAX_CELLS = 4096;   // a huge pool is drawn up to here; the rest is summarised in a line
  const MAX_LOG = 600;      // log entries kept
  const keyInput = $('api-key');
  keyInput.value = localStorage.getItem('pagoda-api-key') || '';
  let controller = null, paused = false, retry = null;
  let cells = [], drawnBlocks = 0, previous = new Map();

  /** One colour per sequence, far apart for consecutive ids (golden angle). */
  function seqColor(seqId) { return 'hsl(' + Math.round((seqId * 137.508) % 360) + ' 62% 46%)'; }

  /** Server request ids are long (cmpl-<32 hex>-0): keep their start and end. */
  function shortId(id) { return id.length > 16 ? id.slice(0, 9) + '…' + id.slice(-4) : id; }

  function setStatus(text, cls) { const s = $('status'); s.textContent = text; s.className = 'status ' + (cls || ''); }

  async function connect() {
    if (controller) controller.abort();
    clearTimeout(retry);
    controller = new AbortController();
    const key = keyInput.value.trim();
    localStorage.setItem('pagoda-api-key', key);
    const headers = key ? { 'Authorization': 'Bearer ' + key } : {};
    setStatus('connecting…');
    let res;
    try {
      res = await fetch('/live/events', { headers, signal: controller.signal, cache: 'no-store' });
    } catch (e) {
      if (e.name === 'AbortError') return;
      setStatus('cannot reach the server; retrying', 'err');
      retry = setTimeout(connect, 2000);
      return;
    }
    if (!res.ok) {
      let msg = res.status + ' ' + res.statusText;
      try { msg = (await res.json()).error.message; } catch (e) { /* not JSON */ }
      setStatus(res.status === 401 ? 'the server needs its API key: type it above and Connect' : msg, 'err');
      if (res.status !== 401) retry = setTimeout(connect, 2000);
      return;
    }
    setStatus('connected', 'ok');
    const reader = res.body.getReader(), decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          for (const line of frame.split('\n')) {
            if (line.startsWith('data: ')) onEvent(JSON.parse(line.slice(6)));
          }
        }
      }
    } catch (e) {
      if (e.name === 'AbortError') return;
    }
    setStatus('disconnected; retrying', 'err');
    retry = setTimeout(connect, 2000);
  }

  // Events wait here while the view is paused, and are drawn in order on resume.
  const MAX_WAITING = 5000;
  let waiting = [], pauseAt = '';

  function onEvent(ev) {
    waiting.push(ev);
    if (waiting.length > MAX_WAITING) { waiting.shift(); waiting[0].dropped_before = (waiting[0].dropped_before || 0) + 1; }
    drain();
  }

  /** Does this step contain the decision the view should stop at? */
  function stopsAt(ev) {
    return ev.decisions.some((d) =>
        pauseAt === 'prefix-hit' ? d.num_cached_tokens > 0
      : pauseAt === 'chunked' ? d.chunked
      : pauseAt !== '' && d.kind === pauseAt);
  }

  function drain() {
    while (!paused && waiting.length) {
      const ev = waiting.shift();
      draw(ev);
      if (stopsAt(ev)) pause(true, 'paused at step ' + ev.step + ' (' + $('pause-at').selectedOptions[0].textContent + ')');
    }
    if (paused) setStatus(pausedText + (waiting.length ? '; ' + waiting.length + ' more steps wait' : ''));
  }

  function draw(ev) {
    if (ev.dropped_before) logGap(ev.dropped_before);
    logStep(ev);
    drawStats(ev);
    const names = new Map();
    for (const s of ev.kv_cache.sequences) names.set(s.seq_id, shortId(s.request_id) + '#' + s.index);
    if (ev.kv_cache.blocks) drawGrid(ev.kv_cache, names);
    drawTables(ev.kv_cache);
  }

  function drawStats(ev) {
    const s = ev.stats, kv = ev.kv_cache;
    $('stat-step').textContent = ev.step;
    $('stat-running').textContent = s.num_running_reqs;
    $('stat-waiting').textContent = s.num_waiting_reqs;
    $('stat-batched').textContent = s.num_batched_tokens + ' / ' + s.max_num_batched_tokens;
    $('stat-usage').textContent = (kv.num_blocks - kv.num_free_blocks) + ' / ' + kv.num_blocks;
    const rate = s.prefix_cache_queries ? Math.round(100 * s.prefix_cache_hits / s.prefix_cache_queries) : 0;
    $('stat-prefix').textContent = s.prefix_cache_hits + ' / ' + s.prefix_cache_queries + ' (' + rate + '%)';
    $('stat-preempt').textContent = s.num_preemptions;
    $('block-size').textContent = kv.block_size;
  }

  function drawGrid(kv, names) {
    const byId = new Map();
    let highest = -1;
    for (const b of kv.blocks) { byId.set(b.id, b); highest = Math.max(highest, b.id); }
    // Draw every block of a small pool; of a large one, up to the highest block in use (rounded up to a row of 16).
    let n = kv.num_blocks <= 512 ? kv.num_blocks : Math.max(256, Math.ceil((highest + 1) / 16) * 16);
    n = Math.min(n, kv.num_blocks, MAX_CELLS);
    const grid = $('grid');
    if (n !== drawnBlocks) {
      grid.textContent = '';
      cells = [];
      for (let i = 0; i < n; i++) {
        const c = document.createElement('div');
        c.className = 'cell free';
        c.textContent = i;
        grid.appendChild(c);
        cells.push(c);
      }
      drawnBlocks = n;
    }
    const now = new Map();
    for (let i = 0; i < n; i++) {
      const b = byId.get(i), c = cells[i];
      const state = b ? b.state : 'free';
      const sig = b ? state + b.owners.join(',') : 'free';
      now.set(i, sig);
      c.className = 'cell ' + state + (previous.size && previous.get(i) !== sig ? ' changed' : '');
      c.style.removeProperty('--c'); c.style.removeProperty('--c2');
      if (!b) { c.title = 'block ' + i + ': free'; c.removeAttribute('data-ref'); continue; }
      const owners = b.owners.map((id) => names.get(id) || ('seq ' + id));
      if (b.owners.length) c.style.setProperty('--c', seqColor(b.owners[0]));
      if (b.owners.length > 1) c.style.setProperty('--c2', seqColor(b.owners[1]));
      c.dataset.ref = b.ref_cnt;
      c.title = 'block ' + i + ': ' + state + ', ref_cnt ' + b.ref_cnt
          + (owners.length ? ', in the block tables of ' + owners.join(', ') : '')
          + (b.hash ? ', prefix hash ' + b.hash : '');
    }
    previous = now;
    $('pool-size').textContent = '(' + kv.num_blocks + ' blocks of ' + kv.block_size + ' tokens)';
    $('grid-note').textContent = n < kv.num_blocks
        ? 'Blocks ' + n + '…' + (kv.num_blocks - 1) + ' are not drawn: ' + (kv.num_blocks - n) + ' more, all free.' : '';
  }

  function drawTables(kv) {
    const body = document.querySelector('#seqs tbody');
    body.textContent = '';
    const refs = new Map();
    if (kv.blocks) for (const b of kv.blocks) refs.set(b.id, b.ref_cnt);
    for (const s of kv.sequences) {
      const tr = document.createElement('tr');
      tr.style.setProperty('--c', seqColor(s.seq_id));
      tr.innerHTML = '<td><span class="swatch"></span></td><td></td><td></td><td></td><td><div class="bt"></div></td>';
      tr.children[1].textContent = shortId(s.request_id) + '#' + s.index;
      tr.children[1].title = s.request_id;
      tr.children[2].textContent = s.status;
      tr.children[3].textContent = s.num_computed_tokens + ' / ' + s.num_tokens;
      const bt = tr.querySelector('.bt');
      s.block_table.forEach((id, i) => {
        const chip = document.createElement('span');
        chip.textContent = id;
        chip.title = 'logical block ' + i + ' → physical block ' + id;
        if ((refs.get(id) || 1) > 1) chip.className = 'shared';
        bt.appendChild(chip);
      });
      if (!s.block_table.length) bt.textContent = '(no blocks)';
      body.appendChild(tr);
    }
    $('no-seqs').style.display = kv.sequences.length ? 'none' : '';
  }

  function addLog(cls, html) {
    const log = $('log');
    const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    const li = document.createElement('li');
    li.className = 'entry ' + cls;
    li.innerHTML = html;
    log.appendChild(li);
    while (log.children.length > MAX_LOG) log.removeChild(log.firstChild);
    if (atBottom) log.scrollTop = log.scrollHeight;
    return li;
  }

  function esc(s) { return String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c])); }

  function logGap(n) {
    addLog('gap', '<span class="kind k-gap">gap</span> ' + n + ' steps not shown: this page fell behind the engine (the server drops, never waits)');
  }

  function logStep(ev) {
    if (ev.snapshot) {
      addLog('snapshot', '<span class="step">step ' + ev.step + '</span> <span class="kind k-input">connected</span> the pool as it is now');
      return;
    }
    for (const i of ev.inputs) {
      const what = i.type === 'add' ? 'request ' + shortId(i.request_id) + ' arrives with ' + i.prompt_token_ids.length + ' prompt tokens'
                                    : 'request ' + shortId(i.request_id) + ' aborted by its client';
      addLog('input', '<span class="step">step ' + ev.step + '</span> <span class="kind k-input">' + (i.type === 'add' ? '+ arrive' : '- abort') + '</span> ' + esc(what));
    }
    // Decodes are the steady state: one line per step for all of them, so that the rarer decisions stand out.
    const decodes = ev.decisions.filter((d) => d.kind === 'decode');
    if (decodes.length) {
      const who = decodes.map((d) => esc(shortId(d.request_id) + '#' + d.index)).join(', ');
      addLog('decision decode', '<span class="step">step ' + ev.step + '</span> <span class="kind k-decode">decode</span> '
          + decodes.length + (decodes.length === 1 ? ' sequence' : ' sequences') + ' +1 token each: ' + who
          + '<span class="why">' + esc(decodes[0].reason) + '</span>');
    }
    for (const d of ev.decisions) {
      if (d.kind === 'decode') continue;
      let what = esc(shortId(d.request_id) + '#' + d.index);
      if (d.num_new_tokens) what += ' +' + d.num_new_tokens + (d.num_new_tokens === 1 ? ' token' : ' tokens');
      if (d.chunked) what += ' (chunked)';
      if (d.num_cached_tokens) what += ' [prefix hit ' + d.num_cached_tokens + ' tokens]';
      const li = addLog('decision ' + d.kind, '<span class="step">step ' + ev.step + '</span> <span class="kind k-' + d.kind + '">'
          + d.kind + '</span> ' + what + '<span class="why">' + esc(d.reason) + '</span>');
      li.style.setProperty('--c', seqColor(d.seq_id));
    }
  }

  $('connect').addEventListener('click', connect);
  keyInput.addEventListener('keydown', (e) => { if (e.key === 'Enter') connect(); });
  let pausedText = 'paused';
  function pause(on, why) {
    paused = on === undefined ? !paused : on;
    pausedText = why || 'paused';
    $('pause').textContent = paused ? 'Resume' : 'Pause';
    setStatus(paused ? pausedText : 'connected', paused ? '' : 'ok');
    if (!paused) drain();
  }
  $('pause').addEventListener('click', () => pause());
  $('pause-at').addEventListener('change', (e) => { pauseAt = e.target.value; });
  window.pagodaLive = {
    pause: () => pause(true), resume: () => pause(false), isPaused: () => paused,
    pauseAt: (kind) => { $('pause-at').value = kind; pauseAt = kind; }
  };
  connect();
})();
