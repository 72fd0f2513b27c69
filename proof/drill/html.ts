/**
 * The self-contained HTML report: uPlot (JS and CSS inlined from node_modules/uplot/dist) and the
 * data inline; no network access when it is opened.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type DrillReport, summaryTable, verdictWord } from './report.js';

function uplotAssets(): { js: string; css: string } {
  const require = createRequire(import.meta.url);
  const dist = join(dirname(require.resolve('uplot/package.json')), 'dist');
  return {
    js: readFileSync(join(dist, 'uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(join(dist, 'uPlot.min.css'), 'utf8'),
  };
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** Inline JSON inside <script>: no "</script>" can close the tag early. */
const inlineJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

export function renderHtml(report: DrillReport): string {
  const { js, css } = uplotAssets();
  const data = {
    series: report.series,
    rotations: report.rotations.map((r) => ({ index: r.index, window: r.window, steps: r.steps, ok: r.ok })),
    swaps: report.swaps,
    faultEvents: report.fault?.events ?? [],
    tasks: report.tasks.map((t) => t.name),
    xMax: Math.max(report.options.durationSeconds, ...report.rotations.map((r) => r.window.endMs / 1000)),
  };
  const word = verdictWord(report);
  const title = `Rotation drill ${report.startedAt} — ${word}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>${css}</style>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:16px 24px;color:#222}
h1{font-size:20px;margin:0 0 4px} .pass{color:#0a7d32} .fail{color:#c0392b}
pre{background:#f6f8fa;padding:10px;border-radius:6px;font-size:12px;overflow:auto}
.legend{font-size:12px;color:#555;margin:4px 0 12px} .chart{margin-bottom:10px}
.key{display:inline-block;width:12px;height:3px;vertical-align:middle;margin:0 4px 0 10px}
</style></head><body>
<h1>${escapeHtml(title.replace(/ — .*/, ''))} — <span class="${report.verdict.pass ? 'pass' : 'fail'}">${word}</span></h1>
<div class="legend">Markers: <span class="key" style="background:#e67e22"></span>createSecret <span class="key" style="background:#8e44ad"></span>setSecret
<span class="key" style="background:#2980b9"></span>testSecret <span class="key" style="background:#16a085"></span>finishSecret
<span class="key" style="background:#c0392b;height:2px;border-top:2px dashed #c0392b"></span>pool swap (task n) · shaded: rotation window · x: seconds of intended send time</div>
<div id="rate" class="chart"></div>
<div id="latency" class="chart"></div>
<pre>${escapeHtml(summaryTable(report))}</pre>
<script>${js.replace(/<\/script/gi, '<\\/script')}</script>
<script id="drill-data" type="application/json">${inlineJson(data)}</script>
<script>
(function(){
  var D = JSON.parse(document.getElementById('drill-data').textContent);
  var x = D.series.map(function(p){return p.second;});
  var col = function(k){return D.series.map(function(p){return p[k];});};
  var STEP = {createSecret:'#e67e22', setSecret:'#8e44ad', testSecret:'#2980b9', finishSecret:'#16a085'};
  function markers(){
    return {hooks:{draw:[function(u){
      var ctx=u.ctx, top=u.bbox.top, h=u.bbox.height;
      ctx.save();
      D.rotations.forEach(function(r){
        var a=u.valToPos(r.window.startMs/1000,'x',true), b=u.valToPos(r.window.endMs/1000,'x',true);
        ctx.fillStyle=r.ok?'rgba(41,128,185,0.08)':'rgba(192,57,43,0.15)'; ctx.fillRect(a,top,b-a,h);
        ctx.fillStyle='#555'; ctx.font=(11*devicePixelRatio)+'px sans-serif'; ctx.fillText('R'+r.index,a+3,top+12*devicePixelRatio);
        r.steps.forEach(function(s){
          var px=u.valToPos(s.startMs/1000,'x',true);
          ctx.strokeStyle=STEP[s.step]||'#999'; ctx.lineWidth=1.5*devicePixelRatio; ctx.setLineDash([]);
          ctx.beginPath(); ctx.moveTo(px,top); ctx.lineTo(px,top+h); ctx.stroke();
        });
      });
      D.swaps.forEach(function(s){
        var px=u.valToPos(s.atMs/1000,'x',true);
        ctx.strokeStyle='#c0392b'; ctx.lineWidth=1*devicePixelRatio; ctx.setLineDash([4*devicePixelRatio,3*devicePixelRatio]);
        ctx.beginPath(); ctx.moveTo(px,top); ctx.lineTo(px,top+h); ctx.stroke();
        ctx.fillStyle='#c0392b'; ctx.fillText('t'+(s.target+1)+' #'+s.toGeneration,px+2,top+h-4*devicePixelRatio);
      });
      D.faultEvents.forEach(function(f){
        var px=u.valToPos(f.atMs/1000,'x',true);
        ctx.strokeStyle='#6c3483'; ctx.lineWidth=2*devicePixelRatio; ctx.setLineDash([2*devicePixelRatio,2*devicePixelRatio]);
        ctx.beginPath(); ctx.moveTo(px,top); ctx.lineTo(px,top+h); ctx.stroke();
        ctx.fillStyle='#6c3483'; ctx.fillText(f.label,px+3,top+26*devicePixelRatio);
      });
      ctx.restore();
    }]}};
  }
  var width = Math.min(1300, window.innerWidth - 60);
  new uPlot({title:'Requests per second (by intended send time)', width:width, height:260, plugins:[markers()],
    scales:{x:{time:false, range:[0, D.xMax]}},
    axes:[{label:'s'},{label:'req/s'}],
    series:[{label:'s'},
      {label:'ok', stroke:'#27ae60', width:1.5},
      {label:'failed', stroke:'#c0392b', width:2, fill:'rgba(192,57,43,0.2)'},
      {label:'dropped', stroke:'#e67e22', width:2}]},
    [x, col('ok'), col('failed'), col('dropped')], document.getElementById('rate'));
  new uPlot({title:'Latency per second, ms (from intended send time)', width:width, height:300, plugins:[markers()],
    scales:{x:{time:false, range:[0, D.xMax]}, y:{distr:3}},
    axes:[{label:'s'},{label:'ms'}],
    series:[{label:'s'},
      {label:'p50', stroke:'#2c3e50', width:1.5},
      {label:'p99', stroke:'#d35400', width:1.5},
      {label:'max', stroke:'#bdc3c7', width:1}]},
    [x, col('p50Ms'), col('p99Ms'), col('maxMs')], document.getElementById('latency'));
})();
</script>
</body></html>
`;
}
