#!/usr/bin/python3
"""peer.py: the peers' way, written for faxmail's bench (the small scripts admins use instead of faxmail).

  peer.py send --spool DIR --outgoing DIR --number N [--paper a4|letter] [--resolution fine|standard] < mail
      Python 3's email package finds the first PDF in the mail; ONE gs run renders it to a 1728-wide
      tiffg3 (204 dpi across, fitted to the page like faxmail); an Asterisk call file is written (temp
      file, then rename) into the outgoing directory. No page limit, no check of the result.
  peer.py receive --tiff FILE --smtp-port P [--to ADDR]
      tiff2pdf turns the received TIFF into a PDF; Python's smtplib mails it to 127.0.0.1:P.

Exit 0 on success, 1 on any failure (with a line on stderr). Written for bench/run.ts; not shipped.
"""
import argparse
import email
import email.policy
import os
import smtplib
import subprocess
import sys
import tempfile
from email.message import EmailMessage

GEOMETRY = {  # (height in lines at 196 lpi, page height in inches) for the fitted page
    'a4': 11.69,
    'letter': 11.0,
}


def send(a):
    msg = email.message_from_binary_file(sys.stdin.buffer, policy=email.policy.default)
    pdf = None
    for part in msg.walk():
        if part.get_content_type() == 'application/pdf' or (part.get_filename() or '').lower().endswith('.pdf'):
            pdf = part.get_payload(decode=True)
            break
    if pdf is None:
        print('no PDF in the mail', file=sys.stderr)
        return 1
    ydpi = 196 if a.resolution == 'fine' else 98
    height = round(GEOMETRY[a.paper] * ydpi)
    job = tempfile.mkdtemp(prefix='job-', dir=a.spool)
    src = os.path.join(job, 'in.pdf')
    with open(src, 'wb') as f:
        f.write(pdf)
    tif = os.path.join(job, 'fax.tif')
    gs = subprocess.run(['gs', '-q', '-dSAFER', '-dBATCH', '-dNOPAUSE', '-sDEVICE=tiffg3', f'-r204x{ydpi}', f'-g1728x{height}',
                         '-dFIXEDMEDIA', '-dPDFFitPage', f'-sOutputFile={tif}', src])
    if gs.returncode != 0:
        print(f'gs exited {gs.returncode}', file=sys.stderr)
        return 1
    os.unlink(src)
    call = (f'Channel: Local/{a.number}@faxmail-out\nMaxRetries: 0\nRetryTime: 60\nWaitTime: 60\n'
            f'Context: faxmail-send\nExtension: s\nPriority: 1\nSetVar: FAXFILE={tif}\n')
    tmp = os.path.join(job, 'call.tmp')
    with open(tmp, 'w') as f:
        f.write(call)
    os.rename(tmp, os.path.join(a.outgoing, os.path.basename(job) + '.call'))
    print(f'queued {tif}')
    return 0


def receive(a):
    pdf = os.path.splitext(a.tiff)[0] + '.peer.pdf'
    r = subprocess.run(['tiff2pdf', '-o', pdf, a.tiff])
    if r.returncode != 0:
        print(f'tiff2pdf exited {r.returncode}', file=sys.stderr)
        return 1
    msg = EmailMessage()
    msg['From'] = 'fax@fax.example.com'
    msg['To'] = a.to
    msg['Subject'] = f'Fax received from {a.caller}'
    msg.set_content(f'A fax from {a.caller} is attached.\n')
    with open(pdf, 'rb') as f:
        msg.add_attachment(f.read(), maintype='application', subtype='pdf', filename='fax.pdf')
    with smtplib.SMTP('127.0.0.1', a.smtp_port) as s:
        s.send_message(msg)
    os.unlink(pdf)
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest='cmd', required=True)
    s = sub.add_parser('send')
    s.add_argument('--spool', required=True)
    s.add_argument('--outgoing', required=True)
    s.add_argument('--number', required=True)
    s.add_argument('--paper', default='a4', choices=GEOMETRY.keys())
    s.add_argument('--resolution', default='fine', choices=['fine', 'standard'])
    r = sub.add_parser('receive')
    r.add_argument('--tiff', required=True)
    r.add_argument('--smtp-port', type=int, required=True)
    r.add_argument('--to', default='desk@example.org')
    r.add_argument('--caller', default='0398765432')
    a = p.parse_args()
    return send(a) if a.cmd == 'send' else receive(a)


if __name__ == '__main__':
    sys.exit(main())
