/**
 * The knowledge tables: which calls wait on I/O, which run native code that
 * releases the GIL, which hold the GIL in C, which block an event loop, which
 * make locks, pools and unpicklable objects. Everything the analyses know
 * about libraries lives here, as data, so extending gil-lens to a new library
 * is a one-line change. Keys are fully qualified names after import
 * resolution (`numpy.dot`, not `np.dot`); a key ending in `.*` matches every
 * member of that module or object.
 *
 * Weights say how much one call tells about where a thread spends its time:
 * 2 is a real wait or heavy native call, 0.5 a light one.
 */

export type WorkKind = 'io' | 'native' | 'cpu' | 'neutral';

export interface CallFact {
  kind: WorkKind;
  weight: number;
  /** Short human text used in reasons: "waits on the network". */
  why: string;
}

const IO_NETWORK = 'waits on the network (the GIL is released meanwhile)';
const IO_FILE = 'does file I/O (the GIL is released while it waits)';
const IO_SLEEP = 'sleeps (the GIL is released meanwhile)';
const IO_PROC = 'waits for a subprocess';
const IO_WAIT = 'blocks waiting for another thread';
const IO_DB = 'waits on a database';
const IO_RUNNER = 'runs an event loop or server, which waits for events (the GIL is released meanwhile)';
const IO_POLL = 'polls with a timeout (the GIL is released while it waits)';
const NATIVE = 'runs in C and releases the GIL on large inputs';
const FOREIGN = 'calls a C function through ctypes, which releases the GIL for the call';
/** ctypes libraries whose functions release the GIL while they run (a `PyDLL`'s do not). */
const FOREIGN_LIBRARIES = ['ctypes.windll.*', 'ctypes.cdll.*', 'ctypes.oledll.*'];
const HOLDS = 'runs in C but holds the GIL';

function facts(kind: WorkKind, weight: number, why: string, names: string[]): [string, CallFact][] {
  return names.map((n) => [n, { kind, weight, why }]);
}

/** Hash objects: the call and its `update()` / `digest()` both run in C that releases the GIL. */
const HASH_CONSTRUCTORS = [
  'hashlib.sha1',
  'hashlib.sha224',
  'hashlib.sha256',
  'hashlib.sha384',
  'hashlib.sha512',
  'hashlib.sha3_256',
  'hashlib.sha3_512',
  'hashlib.blake2b',
  'hashlib.blake2s',
  'hashlib.md5',
  'hashlib.new',
];
const STREAM_COMPRESSORS = ['zlib.compressobj', 'zlib.decompressobj'];
/** File openers: the call does file I/O, and so do the methods of the file object it returns. */
const FILE_OPENERS = ['open', 'io.open', 'os.fdopen', 'gzip.open', 'bz2.open', 'lzma.open'];

/** Calls by qualified name. */
export const CALLS: Map<string, CallFact> = new Map([
  ...facts('io', 2, IO_SLEEP, ['time.sleep']),
  ...facts('io', 2, IO_NETWORK, [
    'requests.*',
    'httpx.get',
    'httpx.post',
    'httpx.put',
    'httpx.delete',
    'httpx.request',
    'httpx.Client',
    'urllib.request.urlopen',
    'urllib.request.urlretrieve',
    'urllib3.*',
    'http.client.HTTPConnection',
    'http.client.HTTPSConnection',
    'socket.create_connection',
    'socket.getaddrinfo',
    'socket.gethostbyname',
    'socket.gethostbyname_ex',
    'socket.gethostbyaddr',
    'socket.getnameinfo',
    'socket.getfqdn',
    'socket.socket',
    'smtplib.SMTP',
    'ftplib.FTP',
    'boto3.client',
    'redis.Redis',
    'paramiko.SSHClient',
  ]),
  ...facts('io', 2, IO_FILE, [
    ...FILE_OPENERS,
    'shutil.copy',
    'shutil.copy2',
    'shutil.copyfile',
    'shutil.copytree',
    'shutil.move',
    'shutil.rmtree',
    'os.read',
    'os.write',
    'os.walk',
    'os.listdir',
    'os.scandir',
    'tempfile.mkstemp',
    'tempfile.TemporaryDirectory',
    'tempfile.NamedTemporaryFile',
    'pathlib.Path.read_text',
    'pathlib.Path.read_bytes',
    'pathlib.Path.write_text',
    'pathlib.Path.write_bytes',
  ]),
  ...facts('io', 1, IO_FILE, ['os.makedirs', 'os.path.exists', 'os.path.getsize', 'os.stat', 'os.unlink', 'os.remove']),
  ...facts('io', 2, IO_PROC, [
    'subprocess.run',
    'subprocess.call',
    'subprocess.check_call',
    'subprocess.check_output',
    'subprocess.Popen',
    'os.system',
    'os.popen',
    'os.waitpid',
  ]),
  ...facts('io', 2, IO_DB, [
    'sqlite3.connect',
    'psycopg2.connect',
    'psycopg.connect',
    'pymysql.connect',
    'pymongo.MongoClient',
  ]),
  ...facts('io', 1, 'waits until a file or socket is ready (the GIL is released meanwhile)', ['select.select']),
  ...facts('io', 1, 'waits for the user to type a line', ['input']),
  ...facts('io', 3, IO_RUNNER, ['asyncio.run', 'asyncore.loop', 'uvicorn.run', 'asyncio.Runner.run']),
  // Apple's run loop, as PyObjC exports it from CoreFoundation and from the frameworks built on it.
  ...facts(
    'io',
    3,
    IO_RUNNER,
    ['CoreFoundation', 'Foundation', 'FSEvents', 'AppKit'].flatMap((m) => [
      `${m}.CFRunLoopRun`,
      `${m}.CFRunLoopRunInMode`,
    ]),
  ),
  ...facts('io', 3, IO_RUNNER, ['twisted.internet.reactor.run', 'tkinter.mainloop']),
  ...facts('native', 1, FOREIGN, FOREIGN_LIBRARIES),
  ...facts('io', 1.5, IO_POLL, ['select.poll', 'select.epoll', 'selectors.DefaultSelector.select']),
  ...facts('io', 1.5, IO_WAIT, [
    'multiprocessing.connection.wait',
    'concurrent.futures.wait',
    'concurrent.futures.as_completed',
  ]),
  ...facts('native', 3, NATIVE, [
    ...HASH_CONSTRUCTORS,
    'hashlib.file_digest',
    'hashlib.pbkdf2_hmac',
    'hashlib.scrypt',
    'zlib.compress',
    'zlib.decompress',
    ...STREAM_COMPRESSORS,
    'bz2.compress',
    'bz2.decompress',
    'lzma.compress',
    'lzma.decompress',
    'gzip.compress',
    'gzip.decompress',
    'numpy.*',
    'scipy.*',
    'cv2.*',
    'PIL.Image.open',
    'torch.*',
    'tensorflow.*',
    'numba.*',
    'pandas.read_csv',
    'pyarrow.*',
  ]),
  ...facts('native', 0.5, 'is C code that is quick and releases the GIL only briefly', [
    'zlib.crc32',
    'zlib.adler32',
    'binascii.crc32',
  ]),
  ...facts('cpu', 0.5, HOLDS, [
    'json.loads',
    'json.dumps',
    'json.load',
    'json.dump',
    'pickle.loads',
    'pickle.dumps',
    're.match',
    're.search',
    're.findall',
    're.finditer',
    're.sub',
    're.split',
    'sorted',
    'math.factorial',
    'csv.reader',
    'csv.DictReader',
    'xml.etree.ElementTree.fromstring',
  ]),
  ...facts('neutral', 0, '', [
    'time.time',
    'time.monotonic',
    'time.perf_counter',
    'time.strftime',
    'os.urandom',
    'os.path.join',
    'os.path.basename',
    'os.path.dirname',
    'os.path.relpath',
    'os.environ.get',
    'print',
    'len',
    'range',
    'random.random',
    'random.Random',
    'random.uniform',
    'random.randint',
    'random.choice',
    'random.gauss',
  ]),
]);

/** PyMongo's synchronous client and the database and collection objects it hands out. */
const PYMONGO_OBJECTS = [
  'pymongo.MongoClient',
  'pymongo.mongo_client.MongoClient',
  'pymongo.database.Database',
  'pymongo.collection.Collection',
];

/** Methods on objects made by these factories (or declared of these types), by qualified name. */
export const ORIGIN_METHODS: Map<string, CallFact> = new Map([
  ...facts('io', 2, IO_FILE, [...FILE_OPENERS, 'tempfile.NamedTemporaryFile']),
  ...facts('io', 2, IO_NETWORK, [
    'urllib.request.urlopen',
    'socket.create_connection',
    'socket.socket',
    'http.client.HTTPConnection',
    'http.client.HTTPSConnection',
    'smtplib.SMTP',
    'requests.Session',
    'httpx.Client',
  ]),
  ...facts('io', 2, IO_DB, [
    'sqlite3.connect',
    'psycopg2.connect',
    'psycopg.connect',
    'pymysql.connect',
    'redis.Redis',
    ...PYMONGO_OBJECTS,
  ]),
  ...facts('io', 2, IO_PROC, ['subprocess.Popen']),
  ...facts('io', 2, IO_NETWORK, [
    'boto3.client',
    'boto3.resource',
    'urllib3.PoolManager',
    'ftplib.FTP',
    'paramiko.SSHClient',
  ]),
  ...facts('native', 3, NATIVE, ['numpy.*', 'scipy.*', 'torch.*', 'PIL.Image.open', 'PIL.Image.new', 'cv2.*']),
  ...facts('native', 3, NATIVE, [...HASH_CONSTRUCTORS, ...STREAM_COMPRESSORS]),
  // `libc = ctypes.CDLL(None)`, `kernel32 = ctypes.windll.kernel32`: every function of the library.
  ...facts('native', 1, FOREIGN, ['ctypes.CDLL', 'ctypes.WinDLL', 'ctypes.OleDLL', ...FOREIGN_LIBRARIES]),
]);

/** Methods that block whatever the receiver, when its origin is unknown but its name says what it is. */
export const WAIT_METHODS: Map<string, CallFact> = new Map([
  ...facts('io', 1.5, IO_WAIT, ['wait', 'wait_for', 'join', 'result', 'communicate']),
  ...facts('io', 1.5, 'waits on a queue', ['get']),
  ...facts('io', 2, IO_NETWORK, ['recv', 'recv_into', 'sendall', 'accept', 'connect', 'urlopen']),
  ...facts('io', 2, IO_DB, ['execute', 'executemany', 'fetchall', 'fetchone', 'fetchmany', 'commit']),
]);

/**
 * Blocking methods of synchronisation objects, keyed `factory.method` by what made the receiver: an
 * Event's `wait()` blocks whatever the Event is called, while its `set()` and `is_set()` do not.
 */
export const ORIGIN_WAITS: Map<string, CallFact> = new Map([
  ...facts('io', 1.5, IO_WAIT, [
    'threading.Event.wait',
    'threading.Condition.wait',
    'threading.Condition.wait_for',
    'threading.Barrier.wait',
    'threading.Thread.join',
    // Waits for the pool's work and threads unless called with wait=False (cannotBlock in blocking-in-async).
    'concurrent.futures.ThreadPoolExecutor.shutdown',
    'concurrent.futures.ProcessPoolExecutor.shutdown',
    'multiprocessing.Event.wait',
    'multiprocessing.Process.join',
    'asyncio.run_coroutine_threadsafe.result',
  ]),
  ...facts('io', 1.5, 'waits on a queue', [
    'queue.Queue.get',
    'queue.Queue.join',
    'queue.SimpleQueue.get',
    'queue.LifoQueue.get',
    'queue.PriorityQueue.get',
    'multiprocessing.Queue.get',
    'multiprocessing.JoinableQueue.get',
  ]),
]);

/**
 * Event-loop and server runners: a thread that calls one spends its life waiting for events, whatever the
 * receiver is called (`loop.run_forever()`, `server.serve_forever()`, tornado's `io_loop.run_sync(f)`).
 */
export const RUNNER_METHODS: Map<string, CallFact> = new Map([
  ...facts('io', 3, IO_RUNNER, ['run_forever', 'run_until_complete', 'serve_forever', 'run_sync', 'handle_request']),
  ...facts('io', 1.5, IO_POLL, ['poll', 'select']),
  // `dispatcher.loop(timeout)`, an MQTT client's `loop()`: one turn of an event loop, waiting up to the timeout.
  ...facts('io', 1.5, IO_POLL, ['loop']),
]);

/**
 * `start`, `run` or `serve` on a receiver whose name says it is a server or an event loop: `server`,
 * `self._httpserver`, `wsgi_server`, `io_loop`, `reactor` (an `observer` starts a thread and returns).
 */
export const RUNNER_RECEIVER = /((^|[._])(httpd|loop|io_?loop|reactor|selector)|(?<!ob)server)$/i;
export const RUNNER_START = new Set(['start', 'run', 'serve', 'loop']);

/**
 * Iterables whose every item is a blocking read: a socket's file (`conn.makefile()`) and standard input.
 * Checked on a loop's iterable, or on the one value a local it iterates was bound to.
 */
export const LINE_READERS = /^([\w.]+\.makefile\(.*\)|sys\.stdin)$/;

/** Receiver names of file-like objects, whose `read`/`write` do I/O. */
export const FILE_LIKE_NAME =
  /(^|[._])(f|fp|fh|fd|fo|file|fileobj|stream|rfile|wfile|pipe|stdin|stdout|stderr|resp|response|body|reader|writer|src|dst|infile|outfile)$/i;
export const FILE_METHODS: Map<string, CallFact> = new Map([
  ...facts('io', 2, IO_FILE, ['read', 'write', 'readinto', 'flush', 'recv', 'send']),
]);

/** Receiver names of HTTP sessions and clients: their `get`/`post` are requests over the network. */
export const HTTP_CLIENT_NAME = /(^|[._])(session|sess|client|http|api|requests?)$/i;

/**
 * Calls that cost next to nothing per call, by name (builtins) or method (on values of unknown type).
 * A loop whose body makes only these calls (and calls into functions the engine has read) runs Python
 * code that the engine can see; a loop that makes any other call does work the engine cannot see, so it
 * is no evidence of CPU work.
 */
export const CHEAP_BUILTINS = new Set([
  'len',
  'range',
  'enumerate',
  'zip',
  'str',
  'int',
  'float',
  'bool',
  'complex',
  'isinstance',
  'issubclass',
  'min',
  'max',
  'sum',
  'abs',
  'sorted',
  'reversed',
  'list',
  'dict',
  'set',
  'tuple',
  'frozenset',
  'repr',
  'hash',
  'id',
  'ord',
  'chr',
  'divmod',
  'pow',
  'round',
  'any',
  'all',
  'map',
  'filter',
  'iter',
  'next',
  'getattr',
  'setattr',
  'hasattr',
  'type',
  'format',
  'bytes',
  'bytearray',
  'hex',
  'bin',
  'oct',
  'slice',
]);
/** String methods that compute a new value from the string alone (`key.lower()`). */
export const STRING_METHODS = new Set([
  'lower',
  'upper',
  'casefold',
  'strip',
  'lstrip',
  'rstrip',
  'replace',
  'split',
  'rsplit',
  'title',
  'capitalize',
  'encode',
  'decode',
  'format',
  'join',
  'partition',
  'rpartition',
  'removeprefix',
  'removesuffix',
]);
/**
 * Calls that run a callable in a worker thread from async code, with the position of the callable among
 * their arguments: what the author hands them, the author says waits.
 */
export const OFFLOADERS: ReadonlyMap<string, number> = new Map([
  ['asyncio.to_thread', 0],
  ['anyio.to_thread.run_sync', 0],
  ['trio.to_thread.run_sync', 0],
  ['asgiref.sync.sync_to_async', 0],
  ['starlette.concurrency.run_in_threadpool', 0],
]);

/** The test of the `if __name__ == "__main__":` block, in either order. */
export const MAIN_GUARD = /__name__\s*==\s*['"]__main__['"]|['"]__main__['"]\s*==\s*__name__/;

/**
 * Container methods that add or take items. Each is atomic alone; after a membership test it is
 * check-then-act, and while another thread loops over the container it changes the container's size.
 */
export const MUTATING_METHODS: ReadonlySet<string> = new Set([
  'add',
  'append',
  'appendleft',
  'insert',
  'update',
  'extend',
  'remove',
  'discard',
  'pop',
  'popitem',
  'popleft',
  'clear',
  'setdefault',
]);

export const CHEAP_METHODS = new Set([
  'append',
  'extend',
  'insert',
  'pop',
  'popleft',
  'appendleft',
  'remove',
  'discard',
  'add',
  'update',
  'setdefault',
  'get',
  'items',
  'keys',
  'values',
  'copy',
  'clear',
  'count',
  'index',
  'sort',
  'reverse',
  'startswith',
  'endswith',
  'find',
  'rfind',
  'isdigit',
  'isalpha',
  'isspace',
  'splitlines',
  'zfill',
  'ljust',
  'rjust',
  'center',
  'group',
  'bit_length',
  'to_bytes',
  'from_bytes',
  'is_integer',
  // threading.Event's flag test never waits.
  'is_set',
  'hexdigest',
  ...STRING_METHODS,
]);

/**
 * Standard-library modules whose functions, and the methods of whose objects (`random.Random()`,
 * `re.compile(...)`, `collections.Counter()`), compute in the calling thread without waiting.
 */
export const COMPUTE_MODULES =
  /^(math|cmath|random|re|collections|itertools|functools|operator|heapq|bisect|statistics|decimal|fractions|string|struct|array|datetime|copy|json|textwrap|unicodedata)\./;

/**
 * Method names the builtin types and file objects define. A call of one of them on a receiver the engine
 * cannot place is most likely a call on a str, a container or a file, so it says nothing about which
 * project class it reaches.
 */
export const BUILTIN_TYPE_METHODS: ReadonlySet<string> = new Set([
  ...CHEAP_METHODS,
  ...MUTATING_METHODS,
  ...['read', 'readline', 'readlines', 'write', 'writelines', 'close', 'flush', 'seek', 'tell', 'fileno'],
  ...['join', 'split', 'format', 'encode', 'decode', 'replace', 'send', 'recv', 'sendall'],
]);

/** Receiver names that suggest a queue, event, socket, process, thread or database handle, for WAIT_METHODS. */
export const WAITABLE_NAME =
  /(queue|inbox|outbox|jobs|tasks|q|event|cond|barrier|sock|socket|conn|connection|future|fut|proc|process|thread|cursor|cur|db)s?$/i;

/** Methods that do I/O whatever their receiver is called (paths, file objects). */
export const IO_METHODS: Map<string, CallFact> = new Map([
  ...facts('io', 2, IO_FILE, ['read_text', 'read_bytes', 'write_text', 'write_bytes', 'readlines', 'readline']),
  // Path and os.DirEntry file-system calls; each asks the kernel about a file.
  ...facts('io', 1.5, IO_FILE, ['stat', 'lstat', 'is_file', 'is_dir', 'iterdir', 'unlink', 'rmdir', 'mkdir', 'touch']),
]);

/** Calls that block an event loop when made directly in `async def`; value: the async counterpart. */
export const BLOCKING_IN_ASYNC: Map<string, string> = new Map([
  ['time.sleep', 'await asyncio.sleep(...)'],
  ['requests.*', 'an async client such as httpx.AsyncClient or aiohttp, or await asyncio.to_thread(...)'],
  ['urllib.request.urlopen', 'an async HTTP client, or await asyncio.to_thread(...)'],
  ['urllib.request.urlretrieve', 'an async HTTP client, or await asyncio.to_thread(...)'],
  ['open', 'await asyncio.to_thread(...) for the read, or aiofiles'],
  ['io.open', 'await asyncio.to_thread(...) for the read, or aiofiles'],
  ['subprocess.run', 'await asyncio.create_subprocess_exec(...)'],
  ['subprocess.call', 'await asyncio.create_subprocess_exec(...)'],
  ['subprocess.check_call', 'await asyncio.create_subprocess_exec(...)'],
  ['subprocess.check_output', 'await asyncio.create_subprocess_exec(...)'],
  ['os.system', 'await asyncio.create_subprocess_shell(...)'],
  ['socket.create_connection', 'await asyncio.open_connection(...)'],
  ['socket.getaddrinfo', 'await loop.getaddrinfo(...)'],
  ['socket.gethostbyname', 'await loop.getaddrinfo(...)'],
  ['socket.gethostbyname_ex', 'await loop.getaddrinfo(...)'],
  ['socket.gethostbyaddr', 'await loop.getnameinfo(...)'],
  ['socket.getnameinfo', 'await loop.getnameinfo(...)'],
  ['socket.getfqdn', 'await asyncio.to_thread(socket.getfqdn, ...)'],
  ['sqlite3.connect', 'aiosqlite, or await asyncio.to_thread(...)'],
  ['input', 'await asyncio.to_thread(input, ...)'],
  ['shutil.copy', 'await asyncio.to_thread(...)'],
  ['shutil.copy2', 'await asyncio.to_thread(...)'],
  ['shutil.copyfile', 'await asyncio.to_thread(...)'],
  ['shutil.copytree', 'await asyncio.to_thread(...)'],
  ['shutil.rmtree', 'await asyncio.to_thread(...)'],
]);

/** Objects whose blocking methods stall an event loop, by factory; value: the async counterpart. */
export const BLOCKING_ORIGINS: Map<string, string> = new Map([
  ['requests.Session', 'an async client such as httpx.AsyncClient or aiohttp, or await asyncio.to_thread(...)'],
  ['httpx.Client', 'httpx.AsyncClient'],
  ['urllib3.PoolManager', 'an async HTTP client, or await asyncio.to_thread(...)'],
  ['socket.socket', 'asyncio streams (asyncio.open_connection) or loop.sock_* methods'],
  ['socket.create_connection', 'asyncio streams (asyncio.open_connection)'],
  ['sqlite3.connect', 'aiosqlite, or await asyncio.to_thread(...)'],
  ['psycopg2.connect', 'an async driver (psycopg 3 async, asyncpg), or await asyncio.to_thread(...)'],
  ['redis.Redis', 'redis.asyncio'],
  ...PYMONGO_OBJECTS.map((o): [string, string] => [
    o,
    "PyMongo's async API (pymongo.AsyncMongoClient) or Motor, or await asyncio.to_thread(...)",
  ]),
  ['smtplib.SMTP', 'aiosmtplib, or await asyncio.to_thread(...)'],
  ['subprocess.Popen', 'await asyncio.create_subprocess_exec(...)'],
]);

/** Methods of BLOCKING_ORIGINS objects that wait (others, such as `close` or `settimeout`, return at once). */
export const BLOCKING_METHODS = new Set([
  'get',
  'post',
  'put',
  'patch',
  'delete',
  'head',
  'request',
  'send',
  'sendall',
  'recv',
  'recv_into',
  'connect',
  'accept',
  'execute',
  'executemany',
  'fetchall',
  'fetchone',
  'fetchmany',
  'commit',
  'communicate',
  'wait',
  'sendmail',
  'send_message',
  'login',
  'urlopen',
  'read',
  // PyMongo's round trips (`find` returns a cursor that waits on the server as it is iterated).
  'find',
  'find_one',
  'find_one_and_update',
  'find_one_and_replace',
  'find_one_and_delete',
  'insert_one',
  'insert_many',
  'update_one',
  'update_many',
  'replace_one',
  'delete_one',
  'delete_many',
  'bulk_write',
  'aggregate',
  'count_documents',
  'estimated_document_count',
  'distinct',
  'create_index',
  'create_indexes',
  'drop_index',
  'drop',
  'command',
  'server_info',
  'list_database_names',
  'list_collection_names',
  'drop_database',
]);

export type LockKind = 'Lock' | 'RLock' | 'Condition' | 'Semaphore' | 'BoundedSemaphore' | 'local' | 'AsyncLock';

/** Factories of mutexes (and of threading.local, which makes locking unnecessary). */
export const LOCK_FACTORIES: Map<string, LockKind> = new Map([
  ['threading.Lock', 'Lock'],
  ['threading.RLock', 'RLock'],
  ['threading.Condition', 'Condition'],
  ['threading.Semaphore', 'Semaphore'],
  ['threading.BoundedSemaphore', 'BoundedSemaphore'],
  ['threading._RLock', 'RLock'],
  ['_thread.allocate_lock', 'Lock'],
  ['_thread.LockType', 'Lock'],
  ['multiprocessing.Lock', 'Lock'],
  ['multiprocessing.RLock', 'RLock'],
  ['threading.local', 'local'],
  // An asyncio lock orders the coroutines of one event loop; threads (each with its own loop, or none)
  // pass it without waiting, so for threads it is no mutex, whatever it is called.
  ['asyncio.Lock', 'AsyncLock'],
  ['asyncio.Condition', 'AsyncLock'],
  ['asyncio.Semaphore', 'AsyncLock'],
  ['asyncio.BoundedSemaphore', 'AsyncLock'],
]);

/** Names that read as a mutex when nothing else is known about them. */
export const LOCK_NAME = /(^|[._])_*(lock|rlock|mutex|cond|condition|cv|guard|sem|semaphore)(_[a-z0-9]+)?$|lock$/i;
/**
 * Locks known by where they sit rather than by their own name: a `queue.Queue`'s conditions, which share
 * the queue's mutex (`with q.not_empty:`), and an entry of a table of locks (`with self._tp_locks[tp]:`).
 */
export const LOCK_PLACES = /\.(not_empty|not_full|all_tasks_done)$|(^|[._])_*\w*locks\[[^[\]]*\]$/i;

export type PoolKind = 'thread-pool' | 'process-pool';

export const EXECUTOR_FACTORIES: Map<string, PoolKind> = new Map([
  ['concurrent.futures.ThreadPoolExecutor', 'thread-pool'],
  ['concurrent.futures.thread.ThreadPoolExecutor', 'thread-pool'],
  ['multiprocessing.pool.ThreadPool', 'thread-pool'],
  ['multiprocessing.dummy.Pool', 'thread-pool'],
  ['concurrent.futures.ProcessPoolExecutor', 'process-pool'],
  ['concurrent.futures.process.ProcessPoolExecutor', 'process-pool'],
  ['multiprocessing.Pool', 'process-pool'],
  ['multiprocessing.pool.Pool', 'process-pool'],
]);

/** What a multiprocessing context offers under the module's own names. */
export const CONTEXT_MEMBERS = new Set([
  'Pool',
  'Process',
  'Queue',
  'JoinableQueue',
  'SimpleQueue',
  'Lock',
  'RLock',
  'Event',
  'Condition',
  'Semaphore',
  'BoundedSemaphore',
  'Barrier',
  'Manager',
]);

/** Pool methods that hand a callable to workers; `true` when the callable runs over many items. */
export const POOL_METHODS: Map<string, boolean> = new Map([
  ['submit', false],
  ['map', true],
  ['apply', false],
  ['apply_async', false],
  ['map_async', true],
  ['imap', true],
  ['imap_unordered', true],
  ['starmap', true],
  ['starmap_async', true],
]);

/**
 * multiprocessing's own queues and locks: a Process inherits them, but a pool task cannot carry them
 * ("should only be shared between processes through inheritance").
 */
export const INHERIT_ONLY_FACTORIES = new Set([
  'multiprocessing.Queue',
  'multiprocessing.JoinableQueue',
  'multiprocessing.SimpleQueue',
  'multiprocessing.Lock',
  'multiprocessing.RLock',
  'multiprocessing.Event',
  'multiprocessing.Condition',
  'multiprocessing.Semaphore',
  'multiprocessing.BoundedSemaphore',
  'multiprocessing.Barrier',
]);

/** Factories of objects that cannot be pickled to a worker process. */
export const UNPICKLABLE_FACTORIES = new Set([
  'open',
  'io.open',
  'threading.Lock',
  'threading.RLock',
  'threading.Condition',
  'threading.Event',
  'threading.Semaphore',
  'threading.BoundedSemaphore',
  'threading.Thread',
  'socket.socket',
  'socket.create_connection',
  'sqlite3.connect',
  'queue.Queue',
]);

/** HTTP verbs of session and client objects (`session.get(url)`): a request over the network. */
export const HTTP_VERBS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'request', 'send']);
/** HTTP session objects: only their requests wait; `mount`, `close` and the like configure the session. */
export const HTTP_SESSIONS = new Set(['requests.Session', 'requests.session', 'httpx.Client']);
export const SESSION_REQUESTS = new Set([...HTTP_VERBS, 'options', 'stream']);
export const NO_WORK: CallFact = { kind: 'neutral', weight: 0, why: '' };
export const HTTP_REQUEST: CallFact = { kind: 'io', weight: 2, why: 'sends an HTTP request and waits on the network' };

/**
 * Calls whose result is the same for every thread that makes them with the same arguments: a module from
 * sys.modules, a compiled pattern, the process's one logger of that name, a conversion or path function.
 */
export const IDEMPOTENT_CALLS =
  /^(importlib\.import_module|__import__|re\.compile|logging\.getLogger|str|int|float|bool|bytes|tuple|frozenset|len|repr|os\.path\.\w+|os\.fspath|os\.environ\.get|os\.getenv|sys\.intern|math\.\w+|operator\.\w+|string\.\w+|unicodedata\.\w+)$/;
/** Builtins that make a fresh copy of other state (`list(self._items)`): equal in every thread. */
export const COPIES = new Set(['list', 'dict', 'set', 'tuple', 'frozenset', 'sorted']);

/** Logging calls, by method (`log.warning`) or by name: a duplicated one is a benign effect of a race. */
export const LOG_METHODS = /^(debug|info|warning|warn|error|exception|critical|log|print)$/;
export const LOG_CALLS = new Set(['warnings.warn']);
/** Receivers that name a logger (`log`, `self._logger`, `LOG`), whose LOG_METHODS calls are bookkeeping. */
export const LOGGER_NAME = /(^|[._])_?(log|logger|logging)$/i;
/** Modules whose LOG_METHODS functions log (`logging.debug`, `multiprocessing.util.debug`). */
export const LOGGING_MODULES = /^(logging|multiprocessing\.util)\.\w+$/;

/** Calls that schedule other coroutines: after one, a blocking call in the scheduling coroutine stalls them. */
export const SCHEDULES =
  /(^|\.)(create_task|ensure_future|gather|as_completed|wait|TaskGroup|start_soon|run_coroutine_threadsafe)$/;

/**
 * Registrars of after-fork hooks (os.register_at_fork, multiprocessing.util.register_after_fork), with the argument that names the hook: the hook runs in the forked child,
 * where only the forking thread survives, so it races with nothing.
 */
export const AFTER_FORK_HOOKS: Map<string, { position: number; keyword: string }> = new Map([
  // By the function's own name: multiprocessing's modules import `util` relatively.
  ['register_at_fork', { position: -1, keyword: 'after_in_child' }],
  ['register_after_fork', { position: 1, keyword: 'func' }],
]);

/**
 * Process-wide dicts that other threads change behind the program's back: an `import` anywhere adds to
 * `sys.modules`, and `logging.getLogger(name)` adds to the logger manager's dict. A loop over one of them,
 * or over a view of it, fails with "dictionary changed size during iteration" when that happens meanwhile;
 * `list(...)` of it copies under the GIL in one step.
 */
export const PROCESS_REGISTRIES: { pattern: RegExp; name: string; changedBy: string }[] = [
  {
    pattern: /^sys\.modules(\.(keys|values|items)\(\))?$/,
    name: 'sys.modules',
    changedBy: 'another thread that imports a module',
  },
  {
    pattern: /^(logging\.(root|Logger|getLogger\(\))|[\w.]*root)\.manager\.loggerDict(\.(keys|values|items)\(\))?$/,
    name: "logging's logger dictionary",
    changedBy: 'another thread that calls logging.getLogger with a new name',
  },
];
