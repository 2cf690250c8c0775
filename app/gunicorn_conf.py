"""Shipped gunicorn settings: ``gunicorn -c python:app.gunicorn_conf wsgi:app``."""

import os

bind = os.environ.get("SKAIDRA_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads keep a worker responsive while a slow upload (Tor can take many minutes) arrives.
worker_class = "gthread"
threads = int(os.environ.get("SKAIDRA_THREADS", "4"))
timeout = 120

# Access logs would record every reporter's address (gunicorn's %(h)s): they stay off, and the
# format leaves the address out should an operator switch them on. Error logs name no client.
accesslog = None
access_log_format = '"%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
# gunicorn itself logs the client address of malformed requests; this logger removes it.
logger_class = "app.log_privacy.AddressFreeLogger"
loglevel = "info"
capture_output = False
# Recent gunicorn versions open a control socket in ~/.gunicorn/; Skaidra needs none, and several
# instances on one machine would fight over the path.
control_socket_disable = True
# Never trust X-Forwarded-For or the PROXY protocol to carry client addresses into the app.
proxy_protocol = False
