"""A chat-completions server on loopback for the judge's tests and benchmarks: it checks the key, reads the prompt
and the inline images, replies with a chat completion and its `usage`, and follows a `script` of failures
(statuses with headers, delays past the client's timeout, bodies that are not JSON). It records every request
and the most it held at once. `oracle_answer` makes it a perfect judge of toy-world edits.

A `script` maps a text found in the prompt (say, an action) to steps used in turn by the requests that match:
`dict(status=429, headers={'Retry-After': '1'})`, `dict(delay=2.0)`, `dict(content='I think 7/10')`,
`dict(body=b'<html>')`."""
import base64, hashlib, io, json, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from PIL import Image
from bootwm.rubric import _action_of

def _constant_answer(prompt, images): return dict(editing_success=5, minimal_editing=5, reason='a constant answer')

def _chat_request(d) -> tuple[str, list[bytes]]:
    "The prompt text and the decoded images of a chat-completions request body"
    if not isinstance(d, dict) or not d.get('model') or not isinstance(d.get('messages'), list) or not d['messages']:
        raise ValueError('need "model" and a non-empty "messages" list')
    content = d['messages'][-1].get('content')
    parts = [dict(type='text', text=content)] if isinstance(content, str) else content
    text = '\n'.join(p['text'] for p in parts if p.get('type') == 'text')
    urls = [p['image_url']['url'] for p in parts if p.get('type') == 'image_url']
    if not all(u.startswith('data:image/') and ';base64,' in u for u in urls): raise ValueError('images must be base64 data URLs')
    return text, [base64.b64decode(u.split(',', 1)[1], validate=True) for u in urls]

def _send(h, status:int, obj, headers=None):
    data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    h.send_response(status); h.send_header('Content-Type', 'application/json'); h.send_header('Content-Length', str(len(data)))
    for k, v in (headers or {}).items(): h.send_header(k, str(v))
    h.end_headers(); h.wfile.write(data)

def _completion(model, n, prompt, images, content) -> dict:
    usage = dict(prompt_tokens=len(prompt.split()) + 85*len(images), completion_tokens=len(content.split()))
    usage['total_tokens'] = usage['prompt_tokens'] + usage['completion_tokens']
    return dict(id=f'chatcmpl-local-{n}', object='chat.completion', created=int(time.time()), model=model, usage=usage,
                choices=[dict(index=0, message=dict(role='assistant', content=content), finish_reason='stop')])

class LocalJudgeServer:
    "A chat-completions server on loopback for tests and dry runs: `answer(prompt, images) -> dict|str`, `script` steps"
    def __init__(self, answer=None, script:dict|None=None, key:str|None=None, model:str='local-judge'):
        self.answer, self.key, self.model = answer or _constant_answer, key, model
        self.script = {k: list(v) for k, v in (script or {}).items()}
        self.requests, self.in_flight, self.max_in_flight, self._lock = [], 0, 0, threading.Lock()

    @property
    def url(self) -> str: return f'http://127.0.0.1:{self.port}/v1'
    def __enter__(self): return self.start()
    def __exit__(self, *exc): self.stop()
    def __repr__(self): return f'LocalJudgeServer({getattr(self, "port", None) and self.url}, {len(self.requests)} requests)'

    def start(self):
        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), _handler(self)); self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, kwargs=dict(poll_interval=0.05), daemon=True).start()
        return self

    def stop(self): self.httpd.shutdown(); self.httpd.server_close()

    def _serve(self, h): _serve(self, h)

    def _step(self, prompt) -> dict:
        with self._lock:
            for marker, steps in self.script.items():
                if marker in prompt and steps: return steps.pop(0)
        return {}

def _handler(srv):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args): pass
        def do_POST(self):
            with srv._lock: srv.in_flight += 1; srv.max_in_flight = max(srv.max_in_flight, srv.in_flight)
            try: srv._serve(self)
            except (BrokenPipeError, ConnectionResetError): pass        # the client gave up waiting (a timeout)
            finally:
                with srv._lock: srv.in_flight -= 1
    return Handler

def _serve(self, h):
    raw = h.rfile.read(int(h.headers.get('Content-Length') or 0))
    rec = dict(t=time.time(), path=h.path, authorized=self.key is None or h.headers.get('Authorization') == f'Bearer {self.key}')
    with self._lock: self.requests.append(rec); n = len(self.requests)
    if h.path.rstrip('/') != '/v1/chat/completions': return _send(h, 404, dict(error=dict(message=f'no route {h.path}')))
    if not rec['authorized']:                               # echoes what it got, as real APIs partly do: the client must scrub it
        got = (h.headers.get('Authorization') or '').removeprefix('Bearer ')
        return _send(h, 401, dict(error=dict(message=f'Incorrect API key provided: {got}', code='invalid_api_key')))
    try: prompt, images = _chat_request(json.loads(raw))
    except Exception as e: return _send(h, 400, dict(error=dict(message=f'bad request: {e}')))
    rec.update(action=_action_of(prompt), images=[hashlib.sha256(b).hexdigest() for b in images], usage={})
    step = self._step(prompt); rec['step'] = step
    time.sleep(step.get('delay', 0))
    if 'body' in step: return _send(h, step.get('status', 200), step['body'], step.get('headers'))
    if step.get('status', 200) != 200: return _send(h, step['status'], dict(error=dict(message=f'scripted {step["status"]}')), step.get('headers'))
    try: content = step['content'] if 'content' in step else self.answer(prompt, images)
    except Exception as e: return _send(h, 500, dict(error=dict(message=f'answer failed: {e!r}')))
    resp = _completion(self.model, n, prompt, images, content if isinstance(content, str) else json.dumps(content))
    rec['usage'] = resp['usage']; _send(h, 200, resp, step.get('headers'))

def oracle_answer(cfg=None):
    "An `answer` for `LocalJudgeServer` grading toy-world images exactly: 10 x the oracle's ES and ME, rounded"
    from bootwm.toyworld import WorldConfig
    from bootwm.tokenizers import GridTokenizer
    from bootwm.evaluate import oracle_scores
    cfg = cfg or WorldConfig(); tok = GridTokenizer.for_world(cfg)
    def answer(prompt, images):
        src, pred = tok.encode([Image.open(io.BytesIO(b)).convert('RGB') for b in images])
        s = oracle_scores(src, _action_of(prompt), pred, cfg)
        return dict(editing_success=round(10*s['es']), minimal_editing=round(10*s['me']), reason='toy-world oracle')
    return answer
