/**
 * The page at "/" of the built-in origin: lists the streams from /_streams.json, plays the one named
 * by `?stream=` (else the first) with hls.js served from /hls.min.js (Safari: native HLS), and shows
 * the current level, a level selector and the live latency. `window.hls` is exposed for tests.
 * Plain HTML and JS, no build step, no external requests.
 */
export function playerPageHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>livepipe</title>
<link rel="icon" href="data:,">
<style>
  body { font: 14px system-ui, sans-serif; margin: 0; background: #111; color: #ddd; }
  header, footer { display: flex; gap: 1em; align-items: center; flex-wrap: wrap; padding: .6em 1em; }
  video { display: block; width: 100%; max-height: 80vh; background: #000; }
  select { font: inherit; }
  #status { color: #f88; }
  output { font-variant-numeric: tabular-nums; }
</style>
</head>
<body>
<header>
  <strong>livepipe</strong>
  <label>stream <select id="stream"></select></label>
  <label>level <select id="level"><option value="-1">auto</option></select></label>
  <span>playing <output id="current">-</output></span>
  <span>latency <output id="latency">-</output></span>
  <span id="status"></span>
</header>
<video id="video" controls muted autoplay playsinline></video>
<footer><a id="link" href="#"></a></footer>
<script src="hls.min.js"></script>
<script>
(function () {
  'use strict';
  var video = document.getElementById('video');
  var streamSelect = document.getElementById('stream');
  var levelSelect = document.getElementById('level');
  var current = document.getElementById('current');
  var latency = document.getElementById('latency');
  var status = document.getElementById('status');
  var link = document.getElementById('link');
  var wanted = new URLSearchParams(location.search).get('stream');
  var playingUrl = null;

  function say(text) { status.textContent = text; }

  function levelName(level) {
    if (!level) return '-';
    var size = level.height ? level.height + 'p' : (level.name || '?');
    return size + ' ' + Math.round((level.bitrate || 0) / 1000) + ' kb/s';
  }

  function showLevels(hls) {
    while (levelSelect.options.length > 1) levelSelect.remove(1);
    hls.levels.forEach(function (level, index) {
      levelSelect.add(new Option(levelName(level), String(index)));
    });
  }

  function showCurrent(hls) {
    if (hls.currentLevel < 0) return;
    current.textContent = levelName(hls.levels[hls.currentLevel]) + (hls.autoLevelEnabled ? ' (auto)' : '');
  }

  function play(url) {
    if (url === playingUrl) return;
    playingUrl = url;
    link.href = url;
    link.textContent = new URL(url, location.href).href;
    say('');
    if (window.hls) { window.hls.destroy(); window.hls = undefined; }
    if (window.Hls && window.Hls.isSupported()) {
      var hls = new window.Hls({ lowLatencyMode: true });
      window.hls = hls;
      hls.on(window.Hls.Events.MANIFEST_PARSED, function () { showLevels(hls); video.play().catch(function () {}); });
      hls.on(window.Hls.Events.LEVEL_SWITCHED, function () { showCurrent(hls); });
      hls.on(window.Hls.Events.ERROR, function (_e, data) {
        if (data.fatal) say('error: ' + data.type + ' ' + data.details);
      });
      hls.loadSource(url);
      hls.attachMedia(video);
    } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
      video.src = url;
      video.play().catch(function () {});
      levelSelect.disabled = true;
      current.textContent = 'native';
    } else {
      say('this browser cannot play HLS');
    }
  }

  levelSelect.addEventListener('change', function () {
    if (window.hls) window.hls.currentLevel = Number(levelSelect.value);
  });

  streamSelect.addEventListener('change', function () {
    var params = new URLSearchParams(location.search);
    params.set('stream', streamSelect.selectedOptions[0].dataset.name || '');
    history.replaceState(null, '', '?' + params.toString());
    play(streamSelect.value);
  });

  setInterval(function () {
    var hls = window.hls;
    if (hls) showCurrent(hls);
    if (hls && typeof hls.latency === 'number' && isFinite(hls.latency) && hls.latency > 0) {
      latency.textContent = hls.latency.toFixed(2) + ' s';
    }
  }, 500);

  function refresh() {
    fetch('_streams.json', { cache: 'no-store' })
      .then(function (r) { return r.json(); })
      .then(function (list) {
        var streams = list.streams || [];
        var chosen = streamSelect.value;
        streamSelect.textContent = '';
        streams.forEach(function (s) {
          var option = new Option(s.name || '/', s.url);
          option.dataset.name = s.name;
          streamSelect.add(option);
        });
        if (!streams.length) { say('no stream yet: publish one with livepipe ingest'); return; }
        var byName = streams.filter(function (s) { return s.name === wanted; })[0];
        var pick = playingUrl || (byName ? byName.url : (chosen || streams[0].url));
        streamSelect.value = pick;
        if (wanted && !byName && !playingUrl) say('no stream named "' + wanted + '" yet');
        else play(pick);
      })
      .catch(function (e) { say('cannot list streams: ' + e); });
  }

  refresh();
  setInterval(refresh, 3000);
})();
</script>
</body>
</html>
`;
}
