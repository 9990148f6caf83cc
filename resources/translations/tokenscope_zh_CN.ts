<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name></name>
    <message>
        <source>Search GGUF models, e.g. “qwen2.5 0.5b instruct” — press Enter</source>
        <extracomment>How many repositories a search lists. Wait this long after the selection moves before listing a repository&apos;s files (arrow keys). the window&apos;s pages</extracomment>
        <translation>搜索 GGUF 模型，例如“qwen2.5 0.5b instruct”——按 Enter 搜索</translation>
    </message>
    <message>
        <source>Search the Hugging Face Hub</source>
        <translation>搜索 Hugging Face Hub</translation>
    </message>
    <message>
        <source>Most downloaded</source>
        <translation>下载最多</translation>
    </message>
    <message>
        <source>Most liked</source>
        <translation>点赞最多</translation>
    </message>
    <message>
        <source>Recently updated</source>
        <translation>最近更新</translation>
    </message>
    <message>
        <source>Sort by</source>
        <translation>排序方式</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <source>Working…</source>
        <translation>处理中…</translation>
    </message>
    <message>
        <source>Repository</source>
        <translation>仓库</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>参数量</translation>
    </message>
    <message>
        <source>Downloads</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Likes</source>
        <translation>点赞</translation>
    </message>
    <message>
        <source>Updated</source>
        <translation>更新时间</translation>
    </message>
    <message>
        <source>Select a repository to see its GGUF files.</source>
        <translation>选择一个仓库以查看其中的 GGUF 文件。</translation>
    </message>
    <message>
        <source>Memory is estimated from the file size and name, before downloading.</source>
        <translation>所需内存是在下载前根据文件大小和文件名估算的。</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Listing the files of %1…</source>
        <translation>正在列出 %1 中的文件…</translation>
    </message>
    <message>
        <source>%1 is already in the download queue.</source>
        <translation>%1 已在下载队列中。</translation>
    </message>
    <message>
        <source>Show downloads</source>
        <translation>查看下载</translation>
    </message>
    <message>
        <source>Downloading %1 (%2) — follow it under Downloads.</source>
        <translation>正在下载 %1（%2）——可在“下载”中查看进度。</translation>
    </message>
    <message>
        <source>%1 (gated)</source>
        <translation>%1（受限）</translation>
    </message>
    <message>
        <source>Architecture: %1</source>
        <translation>架构：%1</translation>
    </message>
    <message>
        <source>Context length: %1</source>
        <translation>上下文长度：%1</translation>
    </message>
    <message>
        <source>Gated: accept its terms on huggingface.co and add your token to download it.</source>
        <translation>受限模型：请先在 huggingface.co 上接受它的使用条款，并添加你的令牌，才能下载。</translation>
    </message>
    <message>
        <source>No GGUF models match “%1”.</source>
        <translation>没有与“%1”匹配的 GGUF 模型。</translation>
    </message>
    <message>
        <source>No GGUF models found.</source>
        <translation>没有找到 GGUF 模型。</translation>
    </message>
</context>
<context>
    <name>AdvancedSamplingTab</name>
    <message>
        <source>DRY multiplier:</source>
        <translation>DRY 倍数：</translation>
    </message>
    <message>
        <source>Push down tokens that would continue a repetition (0: off; 0.8 is usual).</source>
        <translation>压低会让重复继续下去的词元（0：关闭；常用 0.8）。</translation>
    </message>
    <message>
        <source>DRY base:</source>
        <translation>DRY 底数：</translation>
    </message>
    <message>
        <source>How fast the push grows with the repetition&apos;s length.</source>
        <translation>惩罚随重复长度增长的速度。</translation>
    </message>
    <message>
        <source>DRY allowed length:</source>
        <translation>DRY 允许长度：</translation>
    </message>
    <message>
        <source>Repetitions up to this many tokens are left alone.</source>
        <translation>不超过这么多词元的重复不受惩罚。</translation>
    </message>
    <message>
        <source>DRY window:</source>
        <translation>DRY 窗口：</translation>
    </message>
    <message>
        <source>How many recent tokens DRY looks at (-1: the whole context).</source>
        <translation>DRY 检查最近多少个词元（-1：整个上下文）。</translation>
    </message>
    <message>
        <source>Top-nσ:</source>
        <translation>Top-nσ：</translation>
    </message>
    <message>
        <source>Keep tokens within n standard deviations of the best logit (-1: off).</source>
        <translation>保留 logit 与最高者相差不超过 n 个标准差的词元（-1：关闭）。</translation>
    </message>
    <message>
        <source>XTC probability:</source>
        <translation>XTC 概率：</translation>
    </message>
    <message>
        <source>How often XTC removes the top choices (0: off).</source>
        <translation>XTC 移除首选词元的频率（0：关闭）。</translation>
    </message>
    <message>
        <source>XTC threshold:</source>
        <translation>XTC 阈值：</translation>
    </message>
    <message>
        <source>Tokens above this probability count as top choices (above 0.5: off).</source>
        <translation>概率高于此值的词元算作首选（大于 0.5：关闭）。</translation>
    </message>
    <message>
        <source>Dynamic temperature ±:</source>
        <translation>动态温度 ±：</translation>
    </message>
    <message>
        <source>Let the temperature move with the entropy by up to this much (0: off).</source>
        <translation>让温度随熵变化，最多变化这么多（0：关闭）。</translation>
    </message>
    <message>
        <source>Dynamic temperature exponent:</source>
        <translation>动态温度指数：</translation>
    </message>
    <message>
        <source>How the entropy maps to the temperature.</source>
        <translation>熵如何映射到温度。</translation>
    </message>
    <message>
        <source>off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Mirostat 1</source>
        <translation>Mirostat 1</translation>
    </message>
    <message>
        <source>Mirostat 2</source>
        <translation>Mirostat 2</translation>
    </message>
    <message>
        <source>Mirostat replaces the other samplers: it keeps the surprise of the text near a target.</source>
        <translation>Mirostat 取代其他采样器：它让文本的意外度保持在目标附近。</translation>
    </message>
    <message>
        <source>Mirostat:</source>
        <translation>Mirostat：</translation>
    </message>
    <message>
        <source>Mirostat target (bits):</source>
        <translation>Mirostat 目标（比特）：</translation>
    </message>
    <message>
        <source>The surprise mirostat aims for, in bits.</source>
        <translation>Mirostat 追求的意外度，单位为比特。</translation>
    </message>
    <message>
        <source>Mirostat learning rate:</source>
        <translation>Mirostat 学习率：</translation>
    </message>
    <message>
        <source>How fast mirostat corrects itself.</source>
        <translation>Mirostat 自我修正的速度。</translation>
    </message>
    <message>
        <source>GBNF, e.g. root ::= &quot;yes&quot; | &quot;no&quot;</source>
        <translation>GBNF，例如 root ::= &quot;yes&quot; | &quot;no&quot;</translation>
    </message>
    <message>
        <source>The reply must follow this grammar; the inspector shows how many tokens it masked at each step.</source>
        <translation>回复必须符合此语法；检查器会显示每一步屏蔽了多少词元。</translation>
    </message>
    <message>
        <source>From JSON schema…</source>
        <translation>从 JSON schema 生成…</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清除</translation>
    </message>
    <message>
        <source>Grammar:</source>
        <translation>语法：</translation>
    </message>
    <message>
        <source>JSON schema</source>
        <translation>JSON schema</translation>
    </message>
    <message>
        <source>JSON schema (*.json);;All files (*)</source>
        <translation>JSON schema (*.json);;所有文件 (*)</translation>
    </message>
</context>
<context>
    <name>AppState</name>
    <message>
        <source>Load a model to continue this conversation</source>
        <extracomment>something enablement depends on changed (model, loading, generating, conversation) a model was loaded (the Engine) or dropped (None) a model starts (True) or stops (False) loading a long task&apos;s message for the status bar (None: the task ended) a reply starts (True) or stops (False) being written another conversation is open (the Conversation) the open conversation&apos;s title changed the conversation&apos;s selected path changed (another version of a message) the user may type a message now: the composer takes the focus a message was sent (its text); the reply is under way the panels show this reply (a Node, or None: nothing) the user selected token ``index`` of reply ``node`` a reply is being written: its node exists now the reply&apos;s prompt was evaluated: the node and its ContextPlan (None: not known) the reply grew (every batch the worker sends) the reply grew (at most every PANEL_INTERVAL_MS: the panels follow these) the reply ended: the node and the reason (&quot;eog&quot;, &quot;length&quot;, &quot;cancelled&quot;, ...) the generation is over and its result saved (or not): lists and titles follow a message for the status bar, and how long it shows (ms) the llama.cpp build the engine runs on (backend.build_info().to_dict()) what is loading (&quot;Loading model.gguf…&quot;), shown in the chat and the status bar the reply being written (its node id), once it exists the reply the inspector shows a token of the selected token: (node id, index) the window is closing: no dialogs, no new work</extracomment>
        <translation>加载模型后即可继续这个对话</translation>
    </message>
    <message>
        <source>Branching needs the model that wrote this reply (%1); %2 is loaded.</source>
        <translation>分支需要使用写出这条回复的模型（%1）；当前加载的是 %2。</translation>
    </message>
</context>
<context>
    <name>CandidateChart</name>
    <message>
        <source>Candidate tokens</source>
        <extracomment>visible token text raw probability over the whole vocabulary 1-based rank by raw logit per stage: probability there, None once cut index of the stage that removed it, -1 if it survives to the end the token the model actually produced token id token id: &quot;continue from here with this token&quot;</extracomment>
        <translation>候选词元</translation>
    </message>
    <message>
        <source>top-p {p}</source>
        <extracomment>top-p: token -&gt; cumulative probability top-p: the p line the selected row</extracomment>
        <translation>top-p {p}</translation>
    </message>
    <message>
        <source>● cumulative p</source>
        <translation>● 累计概率</translation>
    </message>
    <message>
        <source>Continue from here with “{token}”</source>
        <translation>从这里改用“{token}”继续</translation>
    </message>
    <message>
        <source>“{token}” — id {id}</source>
        <translation>“{token}” — ID {id}</translation>
    </message>
    <message>
        <source>model probability {p} (rank {rank})</source>
        <translation>模型概率 {p}（排名 {rank}）</translation>
    </message>
    <message>
        <source>cut by {stage}</source>
        <translation>被 {stage} 截掉</translation>
    </message>
    <message>
        <source>probability at this stage {p}</source>
        <translation>此阶段的概率 {p}</translation>
    </message>
    <message>
        <source>▶ the token the model produced</source>
        <translation>▶ 模型实际生成的词元</translation>
    </message>
    <message>
        <source>Double-click or Enter: continue from here with this token</source>
        <translation>双击或按 Enter：从这里改用这个词元继续</translation>
    </message>
</context>
<context>
    <name>CandidateTable</name>
    <message>
        <source>Token</source>
        <translation>词元</translation>
    </message>
    <message>
        <source>Text</source>
        <translation>文本</translation>
    </message>
    <message>
        <source>p</source>
        <translation>概率</translation>
    </message>
</context>
<context>
    <name>CentralStack</name>
    <message>
        <source>Load a model to start chatting</source>
        <extracomment>heat mode&apos;s colour scale changed (one of METRICS)</extracomment>
        <translation>加载模型后即可开始对话</translation>
    </message>
</context>
<context>
    <name>ChartBox</name>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>Image (PNG)…</source>
        <translation>图片 (PNG)…</translation>
    </message>
    <message>
        <source>Numbers (CSV)…</source>
        <translation>数据 (CSV)…</translation>
    </message>
    <message>
        <source>Numbers (JSON)…</source>
        <translation>数据 (JSON)…</translation>
    </message>
    <message>
        <source>PNG image (*.png)</source>
        <translation>PNG 图片 (*.png)</translation>
    </message>
    <message>
        <source>CSV (*.csv)</source>
        <translation>CSV (*.csv)</translation>
    </message>
    <message>
        <source>JSON (*.json)</source>
        <translation>JSON (*.json)</translation>
    </message>
    <message>
        <source>Export chart</source>
        <translation>导出图表</translation>
    </message>
</context>
<context>
    <name>ChatFormatPicker</name>
    <message>
        <source>Automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>The file&apos;s own</source>
        <translation>文件自带的</translation>
    </message>
    <message>
        <source>Plain text</source>
        <translation>纯文本</translation>
    </message>
    <message>
        <source>llama.cpp: %1</source>
        <translation>llama.cpp：%1</translation>
    </message>
    <message>
        <source>The chat template for this model. Automatic: the file&apos;s own, or for a file without one llama.cpp&apos;s built-in format for the model (e.g. Gemma&apos;s turns). Applies the next time the model is loaded.</source>
        <translation>此模型的对话模板。自动：使用文件自带的模板；文件没有模板时，使用 llama.cpp 为该模型内置的格式（例如 Gemma 的轮次格式）。下次加载模型时生效。</translation>
    </message>
</context>
<context>
    <name>ChatView</name>
    <message>
        <source>Type a message below to start.

Turn on heat mode (Ctrl+H) to see how sure the model was of every token, and click a token to see the candidates it chose from.</source>
        <extracomment>assistant node id user node id, new text node id, step (-1 / +1) node id, token index how model names are shown (the engine&apos;s name -&gt; its file&apos;s name)</extracomment>
        <translation>在下方输入消息即可开始。

打开热力模式（Ctrl+H），可以看到模型对每个词元有多大把握；点击某个词元，还能看到它是从哪些候选词元中选出来的。</translation>
    </message>
</context>
<context>
    <name>ChipView</name>
    <message>
        <source>Tokens</source>
        <extracomment>neighbouring chips alternate through these tints</extracomment>
        <translation>词元</translation>
    </message>
    <message>
        <source>special token</source>
        <extracomment>y of each chip, for finding the visible ones</extracomment>
        <translation>特殊词元</translation>
    </message>
    <message>
        <source>byte piece (part of a UTF-8 character)</source>
        <translation>字节片段（UTF-8 字符的一部分）</translation>
    </message>
    <message>
        <source>text</source>
        <translation>文本</translation>
    </message>
    <message>
        <source>#{pos}: “{token}”
id {id} · {kind}</source>
        <translation>#{pos}：“{token}”
ID {id} · {kind}</translation>
    </message>
</context>
<context>
    <name>CompareView</name>
    <message>
        <source>model B: a .gguf file with the same vocabulary</source>
        <translation>模型 B：词表相同的 .gguf 文件</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>选择…</translation>
    </message>
    <message>
        <source>Make a lower-bit copy of A</source>
        <translation>生成 A 的低比特副本</translation>
    </message>
    <message>
        <source>Quantize the loaded model&apos;s file again with llama.cpp&apos;s quantizer (an already quantized file is requantized) and use the copy as model B.</source>
        <translation>用 llama.cpp 的量化器把已加载模型的文件再量化一次（已量化的文件会被重新量化），并把副本用作模型 B。</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>A text of your own, or a reply of the open conversation: both models read its own tokens after its own prompt</source>
        <translation>你自己的文本，或当前对话中的一条回复：两个模型都读取它自己的词元，前面是它自己的提示</translation>
    </message>
    <message>
        <source>The text both models read…</source>
        <translation>两个模型都要读的文本…</translation>
    </message>
    <message>
        <source>batched (fast)</source>
        <translation>批量（快）</translation>
    </message>
    <message>
        <source>exact (token by token)</source>
        <translation>精确（逐个词元）</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>比较</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>A is the loaded model, the reference; KL(A‖B) in bits says how much B&apos;s next-token distribution departs from A&apos;s at each token.</source>
        <translation>A 是已加载的模型，作为参照；KL(A‖B)（比特）表示在每个词元处 B 的下一词元分布偏离 A 的程度。</translation>
    </message>
    <message>
        <source>KL(A‖B) per token (bits)</source>
        <translation>每个词元的 KL(A‖B)（比特）</translation>
    </message>
    <message>
        <source>Probability of the actual token: A minus B</source>
        <translation>实际词元的概率：A 减 B</translation>
    </message>
    <message>
        <source>B:</source>
        <translation>B：</translation>
    </message>
    <message>
        <source>Text:</source>
        <translation>文本：</translation>
    </message>
    <message>
        <source>Your text (above)</source>
        <translation>你的文本（上方）</translation>
    </message>
    <message>
        <source>Reply: %1</source>
        <translation>回复：%1</translation>
    </message>
    <message>
        <source>Model B</source>
        <translation>模型 B</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf)</source>
        <translation>GGUF 模型 (*.gguf)</translation>
    </message>
    <message>
        <source>Load a model first.</source>
        <translation>请先加载模型。</translation>
    </message>
    <message>
        <source>Quantizing %1 to %2…</source>
        <translation>正在把 %1 量化为 %2…</translation>
    </message>
    <message>
        <source>Wrote %1. Compare A with it now.</source>
        <translation>已写入 %1。现在可以把 A 与它比较。</translation>
    </message>
    <message>
        <source>Choose model B (or make a lower-bit copy of A).</source>
        <translation>请选择模型 B（或生成 A 的低比特副本）。</translation>
    </message>
    <message>
        <source>There is no text to compare.</source>
        <translation>没有要比较的文本。</translation>
    </message>
    <message>
        <source>Comparing…</source>
        <translation>正在比较…</translation>
    </message>
    <message>
        <source>A = %1, B = %2 · %3 tokens · mean KL(A‖B) &lt;b&gt;%4&lt;/b&gt; bits/token (max %5) · top-1 agreement &lt;b&gt;%6%&lt;/b&gt; · perplexity A %7, B %8</source>
        <translation>A = %1，B = %2 · %3 个词元 · 平均 KL(A‖B) &lt;b&gt;%4&lt;/b&gt; 比特/词元（最大 %5）· 首选一致率 &lt;b&gt;%6%&lt;/b&gt; · 困惑度 A %7，B %8</translation>
    </message>
    <message>
        <source>bits</source>
        <translation>比特</translation>
    </message>
    <message>
        <source>token</source>
        <translation>词元</translation>
    </message>
    <message>
        <source>A − B</source>
        <translation>A − B</translation>
    </message>
    <message>
        <source>KL %1 bits · p %2 → %3</source>
        <translation>KL %1 比特 · 概率 %2 → %3</translation>
    </message>
    <message>
        <source>they agree</source>
        <translation>二者一致</translation>
    </message>
    <message>
        <source>they disagree</source>
        <translation>二者不一致</translation>
    </message>
    <message>
        <source>%1: p under A %2 (rank %3), under B %4 (rank %5); KL %6 bits. First choice: A %7, B %8 — %9.</source>
        <translation>%1：A 中概率 %2（排名 %3），B 中概率 %4（排名 %5）；KL %6 比特。首选：A %7，B %8 —— %9。</translation>
    </message>
    <message>
        <source>Click a token for both models&apos; view of it.</source>
        <translation>点击一个词元，查看两个模型对它的看法。</translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Stop the reply (Esc)</source>
        <translation>停止生成回复（Esc）</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <source>Send (Enter). Shift+Enter starts a new line.</source>
        <translation>发送（Enter）。按 Shift+Enter 换行。</translation>
    </message>
    <message>
        <source>The model is writing… press Esc to stop</source>
        <translation>模型正在生成回复…按 Esc 停止</translation>
    </message>
    <message>
        <source>Message the model (Enter to send, Shift+Enter for a new line)</source>
        <translation>给模型发消息（Enter 发送，Shift+Enter 换行）</translation>
    </message>
</context>
<context>
    <name>ContextBar</name>
    <message>
        <source>Context window usage</source>
        <translation>上下文窗口占用</translation>
    </message>
    <message>
        <source>{part}: {n} tokens ({pct:.1f}%)</source>
        <translation>{part}：{n} 个词元（{pct:.1f}%）</translation>
    </message>
</context>
<context>
    <name>ContextPanel</name>
    <message>
        <source>System prompt</source>
        <extracomment>warn when more than this share of n_ctx is used</extracomment>
        <translation>系统提示词</translation>
    </message>
    <message>
        <source>Earlier turns</source>
        <translation>之前的对话</translation>
    </message>
    <message>
        <source>This input</source>
        <translation>本次输入</translation>
    </message>
    <message>
        <source>Thinking</source>
        <translation>思考</translation>
    </message>
    <message>
        <source>Reply so far</source>
        <translation>已生成的回复</translation>
    </message>
    <message>
        <source>Free</source>
        <translation>剩余空间</translation>
    </message>
    <message>
        <source>The system prompt with its template markers</source>
        <translation>系统提示词及其模板标记</translation>
    </message>
    <message>
        <source>Earlier messages still in the context (and the BOS token)</source>
        <translation>仍在上下文中的之前消息（以及 BOS 词元）</translation>
    </message>
    <message>
        <source>Your last message, plus the template&apos;s header for the reply</source>
        <translation>你最新的消息，加上模板为回复添加的开头</translation>
    </message>
    <message>
        <source>Tokens the reply spent thinking (&lt;think&gt;…&lt;/think&gt;): they fill the context window like any others</source>
        <translation>回复用于思考的词元（&lt;think&gt;…&lt;/think&gt;）：它们和其他词元一样占用上下文窗口</translation>
    </message>
    <message>
        <source>Tokens generated so far; the dashed box is the room reserved for the reply</source>
        <translation>目前已生成的词元；虚线框是为回复预留的空间</translation>
    </message>
    <message>
        <source>Room left in the context window</source>
        <translation>上下文窗口中剩余的空间</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>角色</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>消息</translation>
    </message>
    <message>
        <source>Tokens</source>
        <translation>词元数</translation>
    </message>
    <message>
        <source>Messages in the context</source>
        <translation>上下文中的消息</translation>
    </message>
    <message>
        <source>Tokens each message takes under the chat template. Dropped turns did not fit: the model no longer sees them.</source>
        <translation>每条消息套用对话模板后占用的词元数。被丢弃的轮次放不下了：模型已经看不到它们。</translation>
    </message>
    <message>
        <source>{n} ({pct:.1f}%)</source>
        <translation>{n}（{pct:.1f}%）</translation>
    </message>
    <message>
        <source>&lt;b&gt;{used}&lt;/b&gt; of {n_ctx} tokens used ({pct:.0f}%) · {r} reserved for the reply</source>
        <translation>已用 &lt;b&gt;{used}&lt;/b&gt; / {n_ctx} 个词元（{pct:.0f}%）· 为回复预留 {r} 个</translation>
    </message>
    <message>
        <source>The context is {pct:.0f}% full: the next turns will push the oldest ones out, and a long reply may be cut off.</source>
        <translation>上下文已占用 {pct:.0f}%：接下来的对话会把最早的内容挤出去，较长的回复也可能被截断。</translation>
    </message>
    <message>
        <source>No context yet: send a message.</source>
        <translation>还没有上下文：先发送一条消息吧。</translation>
    </message>
    <message>
        <source>system</source>
        <translation>系统</translation>
    </message>
    <message>
        <source>user</source>
        <translation>用户</translation>
    </message>
    <message>
        <source>assistant</source>
        <translation>助手</translation>
    </message>
    <message>
        <source>dropped ({n})</source>
        <translation>已丢弃（{n}）</translation>
    </message>
    <message>
        <source>Dropped: did not fit in the context window, so the model does not see it</source>
        <translation>已丢弃：上下文窗口放不下，所以模型看不到这条消息</translation>
    </message>
</context>
<context>
    <name>ConversationList</name>
    <message>
        <source>Search conversations</source>
        <extracomment>the second, dimmer line of a row wait this long after the last key press before searching the search text, once typing pauses</extracomment>
        <translation>搜索对话</translation>
    </message>
    <message>
        <source>Finds conversations whose title or messages contain the text</source>
        <translation>查找标题或消息中包含这段文字的对话</translation>
    </message>
    <message>
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message>
        <source>Start a new conversation</source>
        <translation>开始一个新对话</translation>
    </message>
    <message>
        <source>Rename</source>
        <translation>重命名</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>No conversation contains “%1”.</source>
        <translation>没有对话包含“%1”。</translation>
    </message>
    <message>
        <source>Rename the selected conversation</source>
        <translation>重命名选中的对话</translation>
    </message>
    <message>
        <source>Delete the selected conversation</source>
        <translation>删除选中的对话</translation>
    </message>
    <message>
        <source>Rename…</source>
        <translation>重命名…</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>删除…</translation>
    </message>
</context>
<context>
    <name>Conversations</name>
    <message>
        <source>New chat</source>
        <extracomment>A conversation&apos;s automatic title: its first message, cut at this many characters.</extracomment>
        <translation>新对话</translation>
    </message>
    <message>
        <source>1 message</source>
        <translation>1 条消息</translation>
    </message>
    <message>
        <source>%1 messages</source>
        <translation>%1 条消息</translation>
    </message>
    <message>
        <source>%1 · not saved</source>
        <translation>%1 · 未保存</translation>
    </message>
    <message>
        <source>%1
This conversation is not saved.</source>
        <translation>%1
这个对话尚未保存。</translation>
    </message>
    <message>
        <source>no messages yet</source>
        <translation>还没有消息</translation>
    </message>
    <message>
        <source>Untitled</source>
        <translation>无标题</translation>
    </message>
    <message>
        <source>Read-only: changes are not saved.</source>
        <translation>只读：修改不会被保存。</translation>
    </message>
    <message>
        <source>The conversation history is read-only</source>
        <translation>对话记录是只读的</translation>
    </message>
    <message>
        <source>Conversations are not saved in this session.</source>
        <translation>本次运行中的对话不会被保存。</translation>
    </message>
    <message>
        <source>Could not open the conversation</source>
        <translation>无法打开对话</translation>
    </message>
    <message>
        <source>Could not rename the conversation</source>
        <translation>无法重命名对话</translation>
    </message>
    <message>
        <source>Delete conversation</source>
        <translation>删除对话</translation>
    </message>
    <message>
        <source>Delete “%1”? This cannot be undone.</source>
        <translation>要删除“%1”吗？此操作无法撤销。</translation>
    </message>
    <message>
        <source>Could not delete the conversation</source>
        <translation>无法删除对话</translation>
    </message>
</context>
<context>
    <name>DownloadRow</name>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Load</source>
        <translation>加载</translation>
    </message>
    <message>
        <source>Set token…</source>
        <translation>设置令牌…</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Download again</source>
        <translation>重新下载</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>重试</translation>
    </message>
</context>
<context>
    <name>DownloadsPage</name>
    <message>
        <source>No downloads yet. Find a model under “Search the Hub”, choose a file and press Download.</source>
        <extracomment>a finished download&apos;s file to load a DownloadItem that is now DONE how many downloads are queued or running a download failed for want of a token: its id</extracomment>
        <translation>还没有下载。在“搜索 Hub”中找到一个模型，选择一个文件，然后点击“下载”。</translation>
    </message>
    <message>
        <source>Clear finished</source>
        <translation>清除已完成</translation>
    </message>
    <message>
        <source>Downloads go to %1</source>
        <translation>下载保存到 %1</translation>
    </message>
</context>
<context>
    <name>Exchange</name>
    <message>
        <source>Markdown (*.md)</source>
        <translation>Markdown (*.md)</translation>
    </message>
    <message>
        <source>JSON with every token’s details (*.json)</source>
        <translation>包含每个词元细节的 JSON (*.json)</translation>
    </message>
    <message>
        <source>Export conversation</source>
        <translation>导出对话</translation>
    </message>
    <message>
        <source>Could not export the conversation</source>
        <translation>无法导出对话</translation>
    </message>
    <message>
        <source>%1 could not be written: %2</source>
        <translation>无法写入 %1：%2</translation>
    </message>
    <message>
        <source>Exported to %1</source>
        <translation>已导出到 %1</translation>
    </message>
    <message>
        <source>Import conversation</source>
        <translation>导入对话</translation>
    </message>
    <message>
        <source>Tokenscope conversations (*.json);;All files (*)</source>
        <translation>Tokenscope 对话 (*.json);;所有文件 (*)</translation>
    </message>
    <message>
        <source>%1 is not a Tokenscope conversation export (it is not JSON text).</source>
        <translation>%1 不是 Tokenscope 导出的对话（它不是 JSON 文本）。</translation>
    </message>
    <message>
        <source>%1 could not be read: %2</source>
        <translation>无法读取 %1：%2</translation>
    </message>
    <message>
        <source>Could not import the conversation</source>
        <translation>无法导入对话</translation>
    </message>
    <message>
        <source>Imported “%1”</source>
        <translation>已导入“%1”</translation>
    </message>
</context>
<context>
    <name>FirstRunPage</name>
    <message>
        <source>Welcome to Tokenscope</source>
        <extracomment>open the Models window (search and download) File ▸ Connect to a server… the last server connection again</extracomment>
        <translation>欢迎使用 Tokenscope</translation>
    </message>
    <message>
        <source>A language model is a file of numbers (a &lt;b&gt;.gguf&lt;/b&gt; file here) that, given some text, gives every possible next &lt;i&gt;token&lt;/i&gt; (a word or a piece of one) a probability. Tokenscope runs the model on your computer, offline, and shows you those probabilities as it writes: which tokens it hesitated between, how sure it was, and what it actually reads.</source>
        <translation>语言模型其实是一个装满数字的文件（在这里是 &lt;b&gt;.gguf&lt;/b&gt; 文件）：给它一段文字，它会为接下来可能出现的每一个&lt;i&gt;词元&lt;/i&gt;（token，一个词或词的一部分）给出一个概率。Tokenscope 在你的电脑上离线运行模型，并在它写作时把这些概率展示给你：它在哪些词元之间犹豫、有多大把握，以及它实际读到的是什么。</translation>
    </message>
    <message>
        <source>To start, you need a model:</source>
        <translation>开始之前，你需要一个模型：</translation>
    </message>
    <message>
        <source>Download the starter model (SmolLM2-135M, 100 MB)</source>
        <translation>下载入门模型（SmolLM2-135M，100 MB）</translation>
    </message>
    <message>
        <source>A small, fast chat model: good for learning, not for facts.</source>
        <translation>一个小巧、快速的对话模型：适合用来学习原理，但别指望它的回答准确。</translation>
    </message>
    <message>
        <source>Open a .gguf file…</source>
        <translation>打开 .gguf 文件…</translation>
    </message>
    <message>
        <source>Browse and download models…</source>
        <translation>浏览并下载模型…</translation>
    </message>
    <message>
        <source>Search Hugging Face for GGUF models, see which ones fit your computer, and download them</source>
        <translation>在 Hugging Face 上搜索 GGUF 模型，看看哪些能在你的电脑上运行，然后下载</translation>
    </message>
    <message>
        <source>Connect to a server…</source>
        <translation>连接到服务器…</translation>
    </message>
    <message>
        <source>Chat with a model served elsewhere: vLLM, llama.cpp&apos;s llama-server or any OpenAI-compatible server</source>
        <translation>与其他地方提供的模型对话：vLLM、llama.cpp 的 llama-server 或任何兼容 OpenAI 的服务器</translation>
    </message>
    <message>
        <source>Any chat model in GGUF format works. Bigger models write better but need more memory; the Models window (File → Models…) shows which ones fit.</source>
        <translation>任何 GGUF 格式的对话模型都可以使用。模型越大，写得越好，但也需要更多内存；“模型”窗口（文件 → 模型…）会告诉你哪些能装得下。</translation>
    </message>
    <message>
        <source>Reconnect to %1 on %2</source>
        <translation>重新连接到 %2 上的 %1</translation>
    </message>
</context>
<context>
    <name>Generation</name>
    <message>
        <source>Stopping…</source>
        <extracomment>How often the panels follow a streaming reply (the chat itself follows every batch). the running worker (None: no reply is being written)</extracomment>
        <translation>正在停止…</translation>
    </message>
    <message>
        <source>The reply could not be written</source>
        <translation>无法生成回复</translation>
    </message>
</context>
<context>
    <name>HeatLegend</name>
    <message>
        <source>Colour by</source>
        <translation>着色依据</translation>
    </message>
    <message>
        <source>probability</source>
        <translation>概率</translation>
    </message>
    <message>
        <source>entropy</source>
        <translation>熵</translation>
    </message>
    <message>
        <source>Probability: how likely the model thought the chosen token was.
Entropy: how spread out its choices were at that step (in bits).</source>
        <translation>概率：模型认为所选词元出现的可能性有多大。
熵：模型在这一步的选择有多分散（单位：比特）。</translation>
    </message>
    <message>
        <source>Hover a token for details; click it to inspect.</source>
        <translation>鼠标悬停在词元上可查看详情，点击可深入查看。</translation>
    </message>
    <message>
        <source>8+ bits (spread out)</source>
        <translation>8 比特以上（分散）</translation>
    </message>
    <message>
        <source>0 bits (certain)</source>
        <translation>0 比特（确定）</translation>
    </message>
    <message>
        <source>0% (unsure)</source>
        <translation>0%（没把握）</translation>
    </message>
    <message>
        <source>100% (sure)</source>
        <translation>100%（有把握）</translation>
    </message>
</context>
<context>
    <name>History</name>
    <message>
        <source>%1 is read-only: your conversations can be read, but new ones and changes are not saved. Check the file&apos;s permissions.</source>
        <extracomment>Saved conversations kept open in memory besides the current one (reopening is quick). the store was opened anew (moved aside): the list and its notice follow the conversation history; None when it could not be opened (memory only) why the history is not (fully) available: (kind, message), kind one of &quot;corrupt&quot;, &quot;newer&quot;, &quot;readonly&quot;, &quot;error&quot; conversations not in the store (new, or saving failed), newest first saved conversations open in memory, by id (least recently shown first) conversations with changes the store does not have yet (saving failed)</extracomment>
        <translation>%1 是只读的：你的对话可以查看，但新对话和修改都不会被保存。请检查该文件的权限。</translation>
    </message>
    <message>
        <source>Conversations are read-only</source>
        <translation>对话记录为只读</translation>
    </message>
    <message>
        <source>Conversations are not saved</source>
        <translation>对话不会被保存</translation>
    </message>
    <message>
        <source>Tokenscope works as usual, but conversations are only kept until it closes.</source>
        <translation>Tokenscope 仍可照常使用，但对话只保留到关闭程序为止。</translation>
    </message>
    <message>
        <source>The conversation history cannot be read</source>
        <translation>无法读取对话记录</translation>
    </message>
    <message>
        <source>Tokenscope can move the file aside (it is renamed, not deleted) and start a new, empty history. Otherwise conversations are only kept until Tokenscope closes.</source>
        <translation>Tokenscope 可以把这个文件挪到一边（只是改名，不会删除），然后开始一份新的空白记录。否则，对话只保留到 Tokenscope 关闭为止。</translation>
    </message>
    <message>
        <source>Move the file aside and start a new history</source>
        <translation>挪开文件，开始新的记录</translation>
    </message>
    <message>
        <source>Continue without saving</source>
        <translation>继续，但不保存</translation>
    </message>
    <message>
        <source>Could not move the file</source>
        <translation>无法移动文件</translation>
    </message>
    <message>
        <source>%1 could not be renamed: %2</source>
        <translation>无法重命名 %1：%2</translation>
    </message>
    <message>
        <source>The damaged history was kept as %1; a new one is started.</source>
        <translation>损坏的记录已保留为 %1；已开始新的记录。</translation>
    </message>
    <message>
        <source>The conversation could not be saved</source>
        <translation>无法保存对话</translation>
    </message>
    <message>
        <source>It stays open until Tokenscope closes; saving is tried again with the next change.</source>
        <translation>在 Tokenscope 关闭之前，它会一直保留；下次有改动时会再次尝试保存。</translation>
    </message>
</context>
<context>
    <name>HubFiles</name>
    <message>
        <source>1 GGUF model in %2</source>
        <translation>%2 中有 1 个 GGUF 模型</translation>
    </message>
    <message>
        <source>%1 GGUF models in %2</source>
        <translation>%2 中有 %1 个 GGUF 模型</translation>
    </message>
    <message>
        <source>%1 has no GGUF files.</source>
        <translation>%1 中没有 GGUF 文件。</translation>
    </message>
    <message>
        <source>Could not list the files of %1.</source>
        <translation>无法列出 %1 中的文件。</translation>
    </message>
    <message>
        <source>%1 (%2 parts)</source>
        <translation>%1（%2 个部分）</translation>
    </message>
    <message>
        <source>%1 (incomplete: %2 of %3 parts)</source>
        <translation>%1（不完整：%3 个部分中只有 %2 个）</translation>
    </message>
    <message>
        <source>%1 — in your library</source>
        <translation>%1——已在你的模型库中</translation>
    </message>
    <message>
        <source>Some parts of this split model are missing in the repository.</source>
        <translation>这个分卷模型的某些部分在仓库中缺失。</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Quant</source>
        <translation>量化</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Memory at %1 tokens</source>
        <translation>%1 个词元时的内存</translation>
    </message>
    <message>
        <source>Fit</source>
        <translation>能否运行</translation>
    </message>
    <message>
        <source>Load</source>
        <translation>加载</translation>
    </message>
    <message>
        <source>Already in your library: load it</source>
        <translation>已在你的模型库中：直接加载</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Download the selected file into the library (or double-click it)</source>
        <translation>把选中的文件下载到模型库（或双击它）</translation>
    </message>
</context>
<context>
    <name>InspectorPanel</name>
    <message>
        <source>Click a token of a reply, in the timeline or in the chat with heat mode on (Ctrl+H), to see the candidates the model weighed and what the sampler did with them.</source>
        <extracomment>the what-if controls: settings field -&gt; (minimum, maximum, step, decimals) node id, token index, replacement token</extracomment>
        <translation>点击回复中的一个词元（在时间线里，或打开热力模式（Ctrl+H）后在对话里），就能看到模型考虑过哪些候选词元，以及采样器是如何处理它们的。</translation>
    </message>
    <message>
        <source>Sampling stages, in order. ←/→ to step through them.</source>
        <translation>按顺序排列的采样阶段。用 ←/→ 逐个查看。</translation>
    </message>
    <message>
        <source>Start a new version of this reply that keeps the tokens before this one and continues with the selected candidate instead (the model runs from there).</source>
        <translation>为这条回复开一个新版本：保留此前的词元，从这里改用选中的候选词元继续（模型从这里接着生成）。</translation>
    </message>
    <message>
        <source>What if…</source>
        <translation>假如…</translation>
    </message>
    <message>
        <source>Hypothetical: nothing here changes the reply.</source>
        <translation>假设推演：这里的改动不会影响回复。</translation>
    </message>
    <message>
        <source>Hypothetical: replays this token&apos;s {n} stored candidates through the sampler with other settings, without the model.</source>
        <translation>假设推演：用其他设置让采样器重新处理这个词元保存的 {n} 个候选，无需再次运行模型。</translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <source>0 = greedy (always the top token)</source>
        <translation>0 = 贪心（总是选概率最高的词元）</translation>
    </message>
    <message>
        <source>Top-k</source>
        <translation>Top-k</translation>
    </message>
    <message>
        <source>Keep the k most likely tokens (0 = off)</source>
        <translation>保留最可能的 k 个词元（0 = 关闭）</translation>
    </message>
    <message>
        <source>Top-p</source>
        <translation>Top-p</translation>
    </message>
    <message>
        <source>Keep tokens until they add up to p (1 = off)</source>
        <translation>保留词元直到概率之和达到 p（1 = 关闭）</translation>
    </message>
    <message>
        <source>Min-p</source>
        <translation>Min-p</translation>
    </message>
    <message>
        <source>Drop tokens below p × the best (0 = off)</source>
        <translation>丢弃概率低于“最高概率 × p”的词元（0 = 关闭）</translation>
    </message>
    <message>
        <source>Typical-p</source>
        <translation>Typical-p</translation>
    </message>
    <message>
        <source>Locally typical sampling (1 = off)</source>
        <translation>局部典型采样（1 = 关闭）</translation>
    </message>
    <message>
        <source>Repeat pen.</source>
        <translation>重复惩罚</translation>
    </message>
    <message>
        <source>Penalise recently seen tokens (1 = off)</source>
        <translation>惩罚最近出现过的词元（1 = 关闭）</translation>
    </message>
    <message>
        <source>off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Reset</source>
        <translation>重置</translation>
    </message>
    <message>
        <source>Back to the settings this reply was sampled with</source>
        <translation>恢复为这条回复采样时使用的设置</translation>
    </message>
    <message>
        <source>token {i} of {n} · id {id}</source>
        <translation>第 {i} / {n} 个词元 · ID {id}</translation>
    </message>
    <message>
        <source>p {p} · rank {rank} · entropy {h}</source>
        <translation>概率 {p} · 排名 {rank} · 熵 {h}</translation>
    </message>
    <message>
        <source>{bits:.2f} bits</source>
        <translation>{bits:.2f} 比特</translation>
    </message>
    <message>
        <source>drawn with p {p} from the final distribution</source>
        <translation>在最终分布中以概率 {p} 被抽中</translation>
    </message>
    <message>
        <source>p: the model&apos;s probability of this token (softmax over the whole vocabulary). rank: its place among all tokens. entropy: how spread out the model&apos;s distribution was, in bits (0 = certain).</source>
        <translation>概率：模型给这个词元的概率（在整个词表上做 softmax）。排名：它在所有词元中的名次。熵：模型的分布有多分散，单位为比特（0 = 完全确定）。</translation>
    </message>
    <message>
        <source>Hypothetical settings (not the ones used).</source>
        <translation>假设的设置（并非实际使用的设置）。</translation>
    </message>
    <message>
        <source>The settings this reply was sampled with.</source>
        <translation>这条回复采样时使用的设置。</translation>
    </message>
    <message>
        <source>Produced token: p {p} in the final distribution; {n} candidates left; most likely “{best}”.</source>
        <translation>实际生成的词元：在最终分布中的概率为 {p}；剩余 {n} 个候选；最可能的是“{best}”。</translation>
    </message>
    <message>
        <source>Kept and cut as recorded while generating.</source>
        <translation>保留与剔除均为生成时的实际记录。</translation>
    </message>
    <message>
        <source>Stage probabilities are approximate: only the {n} stored candidates are known.</source>
        <translation>各阶段的概率为近似值：只存储了 {n} 个候选词元。</translation>
    </message>
    <message>
        <source>Approximate: a cut could fall beyond the {n} stored candidates that are replayed.</source>
        <translation>近似值：截断位置可能落在重放的 {n} 个存储候选词元之外。</translation>
    </message>
    <message>
        <source>Continue from here with…</source>
        <translation>从这里改用…继续</translation>
    </message>
</context>
<context>
    <name>LabWindow</name>
    <message>
        <source>Lab — Tokenscope</source>
        <translation>实验室 — Tokenscope</translation>
    </message>
    <message>
        <source>Delete</source>
        <extracomment>None: the store is not open; results are not saved</extracomment>
        <translation>删除</translation>
    </message>
    <message>
        <source>Experiments</source>
        <translation>实验</translation>
    </message>
    <message>
        <source>Saved results</source>
        <translation>已保存的结果</translation>
    </message>
    <message>
        <source>The Lab&apos;s own context window, in tokens</source>
        <translation>实验室自己的上下文窗口（词元数）</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>运行</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>Context:</source>
        <translation>上下文：</translation>
    </message>
    <message>
        <source>Load a model file first (File › Open model…): the Lab runs on it (a remote server does not give the logits it needs).</source>
        <translation>请先加载模型文件（文件 › 打开模型…）：实验在该模型上运行（远程服务器不提供实验所需的 logits）。</translation>
    </message>
    <message>
        <source>Running…</source>
        <translation>运行中…</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>ETA {eta}</source>
        <translation>预计剩余 {eta}</translation>
    </message>
    <message>
        <source>Running… {done} of {total}</source>
        <translation>运行中… {done}/{total}</translation>
    </message>
    <message>
        <source>Loading the model for the Lab…</source>
        <translation>正在为实验室加载模型…</translation>
    </message>
    <message>
        <source>Cancelled; nothing was saved.</source>
        <translation>已取消；未保存任何内容。</translation>
    </message>
    <message>
        <source>Done, but not saved: the store is not open.</source>
        <translation>已完成，但未保存：数据库未打开。</translation>
    </message>
    <message>
        <source>Done, but not saved: {error}</source>
        <translation>已完成，但未保存：{error}</translation>
    </message>
    <message>
        <source>Done in {s:.1f} s and saved.</source>
        <translation>用时 {s:.1f} 秒完成，已保存。</translation>
    </message>
    <message>
        <source>This result is of a kind this version cannot show.</source>
        <translation>此版本无法显示这种类型的结果。</translation>
    </message>
    <message>
        <source>Run the experiment or open a saved result first.</source>
        <translation>请先运行实验或打开已保存的结果。</translation>
    </message>
    <message>
        <source>Could not write {path}.</source>
        <translation>无法写入 {path}。</translation>
    </message>
    <message>
        <source>Could not write {path}: {error}</source>
        <translation>无法写入 {path}：{error}</translation>
    </message>
    <message>
        <source>Export result</source>
        <translation>导出结果</translation>
    </message>
    <message>
        <source>CSV table (*.csv);;JSON (*.json);;Chart image (*.png)</source>
        <translation>CSV 表格 (*.csv);;JSON (*.json);;图表图片 (*.png)</translation>
    </message>
    <message>
        <source>Exported to {path}</source>
        <translation>已导出到 {path}</translation>
    </message>
</context>
<context>
    <name>Lenses</name>
    <message>
        <source>Load a model first.</source>
        <translation>请先加载模型。</translation>
    </message>
    <message>
        <source>Wait until the model has finished its current work.</source>
        <translation>请等模型完成当前的工作。</translation>
    </message>
    <message>
        <source>A lens is still running.</source>
        <translation>有一个透镜还在运行。</translation>
    </message>
    <message>
        <source>A lens is running the model…</source>
        <translation>透镜正在运行模型…</translation>
    </message>
    <message>
        <source>There is no writable history to save to.</source>
        <translation>没有可写入的历史记录，无法保存。</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>已保存。</translation>
    </message>
</context>
<context>
    <name>LensesWindow</name>
    <message>
        <source>Lenses — Tokenscope</source>
        <translation>透镜 — Tokenscope</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>Export JSON…</source>
        <translation>导出 JSON…</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Step mode</source>
        <translation>逐词生成</translation>
    </message>
    <message>
        <source>Score a text</source>
        <translation>给文本打分</translation>
    </message>
    <message>
        <source>Compare two models</source>
        <translation>比较两个模型</translation>
    </message>
    <message>
        <source>Saved results</source>
        <translation>已保存的结果</translation>
    </message>
    <message>
        <source>Score</source>
        <translation>打分</translation>
    </message>
    <message>
        <source>Comparison</source>
        <translation>比较</translation>
    </message>
    <message>
        <source>Export result</source>
        <translation>导出结果</translation>
    </message>
</context>
<context>
    <name>LibraryPage</name>
    <message>
        <source>Name</source>
        <extracomment>the .gguf file to load the list was read again</extracomment>
        <translation>名称</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Quant</source>
        <translation>量化</translation>
    </message>
    <message>
        <source>Architecture</source>
        <translation>架构</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>参数量</translation>
    </message>
    <message>
        <source>Context</source>
        <translation>上下文</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>No models yet: download one under “Search the Hub”, or import a .gguf file you already have.</source>
        <translation>还没有模型：在“搜索 Hub”中下载一个，或者导入你已有的 .gguf 文件。</translation>
    </message>
    <message>
        <source>Load</source>
        <translation>加载</translation>
    </message>
    <message>
        <source>Import .gguf…</source>
        <translation>导入 .gguf…</translation>
    </message>
    <message>
        <source>Copy into the models folder</source>
        <translation>复制到模型文件夹</translation>
    </message>
    <message>
        <source>Unchecked: the file stays where it is and the library links to it.</source>
        <translation>不勾选时：文件留在原处，模型库只记录它的位置。</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>删除…</translation>
    </message>
    <message>
        <source>Show in folder</source>
        <translation>在文件夹中显示</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <source>Load this model for chatting (Enter)</source>
        <translation>加载这个模型来对话（Enter）</translation>
    </message>
    <message>
        <source>Delete this model from the library (Delete)</source>
        <translation>从模型库中删除这个模型（Delete）</translation>
    </message>
    <message>
        <source>Reading the library…</source>
        <translation>正在读取模型库…</translation>
    </message>
    <message>
        <source>1 model in %2</source>
        <translation>%2 中有 1 个模型</translation>
    </message>
    <message>
        <source>%1 models in %2</source>
        <translation>%2 中有 %1 个模型</translation>
    </message>
    <message>
        <source>%1 (unusable)</source>
        <translation>%1（无法使用）</translation>
    </message>
    <message>
        <source>Models in the Hugging Face cache are shared with other apps; remove them with `hf cache rm`.</source>
        <translation>Hugging Face 缓存中的模型与其他应用共用；请用 `hf cache rm` 删除它们。</translation>
    </message>
    <message>
        <source>Import a GGUF model</source>
        <translation>导入 GGUF 模型</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf);;All files (*)</source>
        <translation>GGUF 模型 (*.gguf);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Copying %1 into the library…</source>
        <translation>正在将 %1 复制到模型库…</translation>
    </message>
    <message>
        <source>Checking %1…</source>
        <translation>正在检查 %1…</translation>
    </message>
    <message>
        <source>Imported %1.</source>
        <translation>已导入 %1。</translation>
    </message>
    <message>
        <source>Could not import the model</source>
        <translation>无法导入模型</translation>
    </message>
    <message>
        <source>Delete model</source>
        <translation>删除模型</translation>
    </message>
    <message>
        <source>%1 is in the Hugging Face cache, shared with other apps. Remove it with `hf cache rm model/%2`.</source>
        <translation>%1 位于 Hugging Face 缓存中，与其他应用共用。请用 `hf cache rm model/%2` 删除它。</translation>
    </message>
    <message>
        <source>Remove %1 from the library? The file itself stays where it is:
%2</source>
        <translation>要从模型库中移除 %1 吗？文件本身会留在原处：
%2</translation>
    </message>
    <message>
        <source>Delete %1 from this computer? This removes the file:
%2</source>
        <translation>要从这台电脑上删除 %1 吗？这会删除文件：
%2</translation>
    </message>
    <message>
        <source>(and its other %1 parts)</source>
        <translation>（以及它的其余 %1 个部分）</translation>
    </message>
    <message>
        <source>Could not delete the model</source>
        <translation>无法删除模型</translation>
    </message>
    <message>
        <source>Deleted %1.</source>
        <translation>已删除 %1。</translation>
    </message>
    <message>
        <source>Could not open the file manager. The model is in:
%1</source>
        <translation>无法打开文件管理器。模型位于：
%1</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Conversations</source>
        <translation>对话</translation>
    </message>
    <message>
        <source>Token inspector</source>
        <translation>词元检查器</translation>
    </message>
    <message>
        <source>Context</source>
        <translation>上下文</translation>
    </message>
    <message>
        <source>Performance</source>
        <translation>性能</translation>
    </message>
    <message>
        <source>Timeline</source>
        <translation>时间线</translation>
    </message>
    <message>
        <source>Prompt tokens</source>
        <translation>提示词元</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <extracomment>``window`` is the MainWindow: its controllers are ``window.models``, ... checkable: ``toggled(window, on)`` runs when it is switched when it is enabled (None: always) the translation context of every title here (the menus are the window&apos;s); titles are marked with QT_TRANSLATE_NOOP for pyside6-lupdate and translated when the menus are built</extracomment>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Open model…</source>
        <translation>打开模型(&amp;O)…</translation>
    </message>
    <message>
        <source>&amp;Models…</source>
        <translation>模型(&amp;M)…</translation>
    </message>
    <message>
        <source>Search, download and manage models</source>
        <translation>搜索、下载和管理模型</translation>
    </message>
    <message>
        <source>Connect to a se&amp;rver…</source>
        <translation>连接到服务器(&amp;R)…</translation>
    </message>
    <message>
        <source>Chat with a model on vLLM, llama-server or any OpenAI-compatible server</source>
        <translation>与 vLLM、llama-server 或任何兼容 OpenAI 的服务器上的模型聊天</translation>
    </message>
    <message>
        <source>&amp;Lab…</source>
        <translation>实验室(&amp;L)…</translation>
    </message>
    <message>
        <source>Classic LLM experiments on the loaded model</source>
        <translation>在已加载的模型上运行经典的大模型实验</translation>
    </message>
    <message>
        <source>&amp;New chat</source>
        <translation>新建对话(&amp;N)</translation>
    </message>
    <message>
        <source>&amp;Export conversation…</source>
        <translation>导出对话(&amp;E)…</translation>
    </message>
    <message>
        <source>&amp;Import conversation…</source>
        <translation>导入对话(&amp;I)…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Heat mode</source>
        <translation>热力模式(&amp;H)</translation>
    </message>
    <message>
        <source>Colour every reply token by how sure the model was</source>
        <translation>按模型的把握程度为回复中的每个词元着色</translation>
    </message>
    <message>
        <source>Heat colours by</source>
        <translation>热力着色依据</translation>
    </message>
    <message>
        <source>&amp;Lenses</source>
        <translation>透镜(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Step through a reply…</source>
        <translation>逐词生成回复(单字接龙)(&amp;S)…</translation>
    </message>
    <message>
        <source>Generate one token at a time, choosing each one</source>
        <translation>一次生成一个词元，每个都由你选择</translation>
    </message>
    <message>
        <source>S&amp;core a text…</source>
        <translation>给文本打分(&amp;C)…</translation>
    </message>
    <message>
        <source>How surprising each token of a text is to the model</source>
        <translation>文本中每个词元让模型感到多意外</translation>
    </message>
    <message>
        <source>Co&amp;mpare two models…</source>
        <translation>比较两个模型(&amp;M)…</translation>
    </message>
    <message>
        <source>Saved &amp;results…</source>
        <translation>已保存的结果(&amp;R)…</translation>
    </message>
    <message>
        <source>Probability</source>
        <translation>概率</translation>
    </message>
    <message>
        <source>Entropy</source>
        <translation>熵</translation>
    </message>
    <message>
        <source>Reset layout</source>
        <translation>重置布局</translation>
    </message>
    <message>
        <source>&amp;Settings</source>
        <translation>设置(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>设置(&amp;S)…</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;About Tokenscope</source>
        <translation>关于 Tokenscope(&amp;A)</translation>
    </message>
    <message>
        <source>About &amp;Qt</source>
        <translation>关于 &amp;Qt</translation>
    </message>
</context>
<context>
    <name>MessageView</name>
    <message>
        <source>Cancel</source>
        <extracomment>heat mode: (style, spans shown for good, where the redrawn tail starts)</extracomment>
        <translation>取消</translation>
    </message>
    <message>
        <source>Send as a new version</source>
        <translation>作为新版本发送</translation>
    </message>
    <message>
        <source>Previous version</source>
        <translation>上一个版本</translation>
    </message>
    <message>
        <source>Next version</source>
        <translation>下一个版本</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copy this message</source>
        <translation>复制这条消息</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>编辑</translation>
    </message>
    <message>
        <source>Edit this message and send it as a new version</source>
        <translation>编辑这条消息，并作为新版本重新发送</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>重新生成</translation>
    </message>
    <message>
        <source>Write a new version of this reply</source>
        <translation>为这条回复生成一个新版本</translation>
    </message>
    <message>
        <source>Reading your message…</source>
        <translation>正在读取你的消息…</translation>
    </message>
    <message>
        <source>You</source>
        <translation>你</translation>
    </message>
    <message>
        <source>Assistant</source>
        <translation>助手</translation>
    </message>
    <message>
        <source>branched at token %1</source>
        <translation>从第 %1 个词元分支</translation>
    </message>
    <message numerus="yes">
        <source>%n token(s)</source>
        <translation>
            <numerusform>%n 个词元</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 tokens/s</source>
        <translation>%1 词元/秒</translation>
    </message>
    <message>
        <source>stopped at the reply length limit</source>
        <translation>已达到回复长度上限</translation>
    </message>
    <message>
        <source>the context window is full</source>
        <translation>上下文窗口已满</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>interrupted</source>
        <translation>已中断</translation>
    </message>
    <message>
        <source>Copied to the clipboard</source>
        <translation>已复制到剪贴板</translation>
    </message>
</context>
<context>
    <name>ModelBar</name>
    <message>
        <source>Open a model…</source>
        <extracomment>what heat mode can colour by the model file (Path) that wrote the conversation</extracomment>
        <translation>打开模型…</translation>
    </message>
    <message>
        <source>Models…</source>
        <translation>模型…</translation>
    </message>
    <message>
        <source>Search, download and manage models</source>
        <translation>搜索、下载和管理模型</translation>
    </message>
    <message>
        <source>No model is loaded: you can read this conversation and inspect every token. Load a model to continue it.</source>
        <translation>未加载模型：你可以阅读这个对话，并查看其中的每个词元。加载模型后即可继续对话。</translation>
    </message>
    <message>
        <source>No model is loaded: you can read this conversation and inspect every token. Load a model (it was written by %1) to continue it.</source>
        <translation>未加载模型：你可以阅读这个对话，并查看其中的每个词元。加载模型（它由 %1 写成）后即可继续对话。</translation>
    </message>
    <message>
        <source>Load %1</source>
        <translation>加载 %1</translation>
    </message>
</context>
<context>
    <name>ModelDetails</name>
    <message>
        <source>File:</source>
        <translation>文件：</translation>
    </message>
    <message>
        <source>Source:</source>
        <translation>来源：</translation>
    </message>
    <message>
        <source>Size:</source>
        <translation>大小：</translation>
    </message>
    <message>
        <source>Quantisation:</source>
        <translation>量化方式：</translation>
    </message>
    <message>
        <source>Architecture:</source>
        <translation>架构：</translation>
    </message>
    <message>
        <source>Parameters:</source>
        <translation>参数量：</translation>
    </message>
    <message>
        <source>Context length:</source>
        <translation>上下文长度：</translation>
    </message>
    <message>
        <source>Layers / width / heads / KV heads:</source>
        <translation>层数 / 宽度 / 注意力头 / KV 头：</translation>
    </message>
    <message>
        <source>Vocabulary:</source>
        <translation>词表：</translation>
    </message>
    <message>
        <source>GGUF version / tensors:</source>
        <translation>GGUF 版本 / 张量数：</translation>
    </message>
    <message>
        <source>Memory needed:</source>
        <translation>所需内存：</translation>
    </message>
    <message>
        <source>Problem:</source>
        <translation>问题：</translation>
    </message>
    <message>
        <source>Chat template:</source>
        <translation>对话模板：</translation>
    </message>
    <message>
        <source>(none in this file)</source>
        <translation>（此文件中没有）</translation>
    </message>
    <message>
        <source>Select a model to see its details.</source>
        <translation>选择一个模型以查看详细信息。</translation>
    </message>
    <message>
        <source>in %1 parts</source>
        <translation>分为 %1 个部分</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>%1 tokens</source>
        <translation>%1 个词元</translation>
    </message>
    <message>
        <source>%1 tokens (%2)</source>
        <translation>%1 个词元（%2）</translation>
    </message>
    <message>
        <source>about %1 with %2 tokens of context (%3: %4 available)</source>
        <translation>上下文为 %2 个词元时约需 %1（%3：可用 %4）</translation>
    </message>
    <message>
        <source>about %1 with %2 tokens of context</source>
        <translation>上下文为 %2 个词元时约需 %1</translation>
    </message>
</context>
<context>
    <name>Models</name>
    <message>
        <source>The last model (%1) is no longer there.</source>
        <translation>上次使用的模型（%1）已不存在。</translation>
    </message>
    <message>
        <source>Model file not found: %1</source>
        <translation>找不到模型文件：%1</translation>
    </message>
    <message>
        <source>Open a model</source>
        <translation>打开模型</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf);;All files (*)</source>
        <translation>GGUF 模型 (*.gguf);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Stop the reply first.</source>
        <translation>请先停止当前回复。</translation>
    </message>
    <message>
        <source>Loading %1…</source>
        <translation>正在加载 %1…</translation>
    </message>
    <message>
        <source>Could not load the model</source>
        <translation>无法加载模型</translation>
    </message>
    <message>
        <source>Loaded %1 in %2 s</source>
        <translation>已加载 %1，用时 %2 秒</translation>
    </message>
    <message>
        <source>Reload the model?</source>
        <translation>重新加载模型？</translation>
    </message>
    <message>
        <source>Reload %1 now with the new load options?</source>
        <translation>要立即用新的加载选项重新加载 %1 吗？</translation>
    </message>
    <message>
        <source>Getting the starter model (about 100 MB)…</source>
        <translation>正在获取入门模型（约 100 MB）…</translation>
    </message>
    <message>
        <source>Could not get the starter model</source>
        <translation>无法获取入门模型</translation>
    </message>
</context>
<context>
    <name>ModelsDialog</name>
    <message>
        <source>Models</source>
        <extracomment>a local .gguf file the user chose to load</extracomment>
        <translation>模型</translation>
    </message>
    <message>
        <source>Search the Hub</source>
        <translation>搜索 Hub</translation>
    </message>
    <message>
        <source>Downloads</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Library</source>
        <translation>模型库</translation>
    </message>
    <message>
        <source>Hugging Face token…</source>
        <translation>Hugging Face 令牌…</translation>
    </message>
    <message>
        <source>Needed only for gated or private models (e.g. Llama, Gemma)</source>
        <translation>只有受限或私有模型（例如 Llama、Gemma）才需要</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Downloads (%1)</source>
        <translation>下载（%1）</translation>
    </message>
    <message>
        <source>Set token…</source>
        <translation>设置令牌…</translation>
    </message>
    <message>
        <source>Try again</source>
        <translation>重试</translation>
    </message>
    <message>
        <source>Using the token from HF_TOKEN</source>
        <translation>正在使用 HF_TOKEN 中的令牌</translation>
    </message>
    <message>
        <source>A token is saved</source>
        <translation>已保存令牌</translation>
    </message>
    <message>
        <source>Can&apos;t reach Hugging Face — check your connection; your local models still work.</source>
        <translation>无法连接 Hugging Face——请检查网络连接；本地模型仍可照常使用。</translation>
    </message>
    <message>
        <source>Something went wrong: %1. The details are in the log file; please try again, or report the problem.</source>
        <translation>出错了：%1。详细信息已写入日志文件；请重试，或报告这个问题。</translation>
    </message>
    <message>
        <source>—</source>
        <translation>—</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation>%1 分钟</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 小时 %2 分钟</translation>
    </message>
    <message>
        <source>fits</source>
        <translation>装得下</translation>
    </message>
    <message>
        <source>tight</source>
        <translation>偏紧</translation>
    </message>
    <message>
        <source>won&apos;t fit</source>
        <translation>装不下</translation>
    </message>
    <message>
        <source>Needs about %1 of memory with %2 tokens of context.</source>
        <translation>上下文为 %2 个词元时，约需 %1 内存。</translation>
    </message>
    <message>
        <source>Fits: needs about %1 of memory with %2 tokens of context; %3 is available.</source>
        <translation>装得下：上下文为 %2 个词元时约需 %1 内存；当前可用 %3。</translation>
    </message>
    <message>
        <source>Tight: needs about %1 of memory with %2 tokens of context, more than 3/4 of the %3 available. Close other programs, or choose a smaller file.</source>
        <translation>偏紧：上下文为 %2 个词元时约需 %1 内存，超过可用的 %3 的 3/4。请关闭其他程序，或选择更小的文件。</translation>
    </message>
    <message>
        <source>Won&apos;t fit: needs about %1 of memory with %2 tokens of context but only %3 is available. Choose a smaller quantisation or a smaller context.</source>
        <translation>装不下：上下文为 %2 个词元时约需 %1 内存，但只有 %3 可用。请选择更低的量化或更小的上下文。</translation>
    </message>
    <message>
        <source>%1.gguf (%2 parts)</source>
        <extracomment>Progress is repainted at most this often (state changes are shown at once).</extracomment>
        <translation>%1.gguf（%2 个部分）</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 / %2</translation>
    </message>
    <message>
        <source>Waiting…</source>
        <translation>等待中…</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在开始…</translation>
    </message>
    <message>
        <source>%1/s</source>
        <translation>%1/秒</translation>
    </message>
    <message>
        <source>%1 left</source>
        <translation>剩余 %1</translation>
    </message>
    <message>
        <source>part %1 of %2</source>
        <translation>第 %1 部分，共 %2 部分</translation>
    </message>
    <message>
        <source>Paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <source>Downloaded and verified · in the library</source>
        <translation>已下载并校验 · 已在模型库中</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>Downloaded</source>
        <translation>已下载</translation>
    </message>
    <message>
        <source>Imported</source>
        <translation>已导入</translation>
    </message>
    <message>
        <source>Linked (left in place)</source>
        <translation>已链接（留在原处）</translation>
    </message>
    <message>
        <source>Hugging Face cache</source>
        <translation>Hugging Face 缓存</translation>
    </message>
</context>
<context>
    <name>NeedleView</name>
    <message>
        <source>automatic: 256, 512, 1024, 2048 (those that fit the context)</source>
        <translation>自动：256、512、1024、2048（上下文放得下的）</translation>
    </message>
    <message>
        <source>English</source>
        <translation>英文</translation>
    </message>
    <message>
        <source>Chinese</source>
        <translation>中文</translation>
    </message>
    <message>
        <source>Haystack lengths (tokens):</source>
        <translation>草堆长度（词元）：</translation>
    </message>
    <message>
        <source>Needle depths (%):</source>
        <translation>针的深度（%）：</translation>
    </message>
    <message>
        <source>Language:</source>
        <translation>语言：</translation>
    </message>
    <message>
        <source>haystack length (tokens)</source>
        <translation>草堆长度（词元）</translation>
    </message>
    <message>
        <source>needle depth (%)</source>
        <translation>针的深度（%）</translation>
    </message>
    <message>
        <source>P(answer)</source>
        <translation>P（答案）</translation>
    </message>
    <message>
        <source>Needle in a haystack</source>
        <translation>大海捞针</translation>
    </message>
    <message>
        <source>A fact is hidden at a depth inside filler text of a given length, then the model is asked for it. Each cell: the probability of the right answer (✓: greedy decoding writes it).</source>
        <translation>把一条事实藏在给定长度的填充文本的某个深度，然后向模型提问。每一格：正确答案的概率（✓：贪心解码能写出它）。</translation>
    </message>
    <message>
        <source>Give at least one depth.</source>
        <translation>请至少给出一个深度。</translation>
    </message>
</context>
<context>
    <name>NumbersView</name>
    <message>
        <source>Pick a random number between 1 and 100. Answer with the number only.</source>
        <translation>请在1到100之间随机选一个数字。只回答这个数字。</translation>
    </message>
    <message>
        <source>Prompt:</source>
        <translation>提示词：</translation>
    </message>
    <message>
        <source>Real samples to overlay:</source>
        <translation>叠加的真实采样次数：</translation>
    </message>
    <message>
        <source>Also count a number followed by more text (e.g. &quot;1.&quot; opening a list)</source>
        <translation>也计入后面跟着其他文字的数字（例如列表开头的“1.”）</translation>
    </message>
    <message>
        <source>answer</source>
        <translation>答案</translation>
    </message>
    <message>
        <source>probability (of a well-formed answer)</source>
        <translation>概率（在格式正确的答案中）</translation>
    </message>
    <message>
        <source>&quot;Random&quot; numbers</source>
        <translation>“随机”数字</translation>
    </message>
    <message>
        <source>The model&apos;s exact probability of every answer 1–100 (a tree of next-token probabilities, not sampling), against uniform. The temperature slider re-weights instantly from the stored values.</source>
        <translation>模型对 1–100 每个答案的精确概率（由下一个词元概率构成的树计算，而非采样），与均匀分布对比。温度滑块根据存储的数值即时重新加权。</translation>
    </message>
    <message>
        <source>Temperature: {t:.2f}</source>
        <translation>温度：{t:.2f}</translation>
    </message>
    <message>
        <source>model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>uniform</source>
        <translation>均匀分布</translation>
    </message>
    <message>
        <source>samples (T = {t:g})</source>
        <translation>采样（T = {t:g}）</translation>
    </message>
    <message>
        <source>Entropy {h:.2f} bits (uniform: {u:.2f}). Top five: {top}. A well-formed answer has probability {m:.1%}; the chart shows P(n) among those.</source>
        <translation>熵 {h:.2f} 比特（均匀分布：{u:.2f}）。前五名：{top}。格式正确的答案的概率为 {m:.1%}；图中显示的是其中各数字的 P(n)。</translation>
    </message>
</context>
<context>
    <name>PerformancePanel</name>
    <message>
        <source>Prompt reading</source>
        <translation>读取提示词</translation>
    </message>
    <message>
        <source>Tokens of the prompt evaluated per second (the tokens reused from the KV cache are not evaluated again)</source>
        <translation>每秒处理的提示词元数（从 KV 缓存复用的词元不会重新计算）</translation>
    </message>
    <message>
        <source>Generation</source>
        <translation>生成</translation>
    </message>
    <message>
        <source>Reply tokens per second, after the first one</source>
        <translation>第一个词元之后，每秒生成的回复词元数</translation>
    </message>
    <message>
        <source>First token after</source>
        <translation>首个词元用时</translation>
    </message>
    <message>
        <source>Time from sending to the first reply token: reading the prompt plus one step</source>
        <translation>从发送到生成第一个回复词元的时间：读取提示词再加一步生成</translation>
    </message>
    <message>
        <source>Reused from KV cache</source>
        <translation>KV 缓存复用</translation>
    </message>
    <message>
        <source>Prompt tokens already in the KV cache from the previous turn: no work needed</source>
        <translation>上一轮已经在 KV 缓存中的提示词元：无需重新计算</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>随机种子</translation>
    </message>
    <message>
        <source>The random seed this reply was sampled with: the same seed, model and settings give the same reply (tokenscope chat --seed N)</source>
        <translation>采样这条回复所用的随机种子：相同的种子、模型和设置会得到相同的回复（tokenscope chat --seed N）</translation>
    </message>
    <message>
        <source>Backend</source>
        <translation>后端</translation>
    </message>
    <message>
        <source>The llama.cpp build doing the work</source>
        <translation>实际执行计算的 llama.cpp 版本</translation>
    </message>
    <message>
        <source>GPU layers</source>
        <translation>GPU 层数</translation>
    </message>
    <message>
        <source>Model layers offloaded to the GPU</source>
        <translation>卸载到 GPU 上的模型层数</translation>
    </message>
    <message>
        <source>–</source>
        <translation>–</translation>
    </message>
    <message>
        <source>nothing to read: all {n} tokens reused</source>
        <translation>无需读取：全部 {n} 个词元都已复用</translation>
    </message>
    <message>
        <source>{rate} tokens/s ({n} tokens in {t})</source>
        <translation>{rate} 词元/秒（{t} 内处理 {n} 个词元）</translation>
    </message>
    <message>
        <source>{rate} tokens/s</source>
        <translation>{rate} 词元/秒</translation>
    </message>
    <message>
        <source>({t})</source>
        <translation>（{t}）</translation>
    </message>
    <message>
        <source>{n} tokens, read by the server</source>
        <translation>{n} 个词元，由服务器读取</translation>
    </message>
    <message>
        <source>not reported by the server</source>
        <translation>服务器未报告</translation>
    </message>
    <message>
        <source>{n} of {total} prompt tokens ({pct:.0f}%)</source>
        <translation>{total} 个提示词元中的 {n} 个（{pct:.0f}%）</translation>
    </message>
    <message>
        <source>on the server</source>
        <translation>在服务器上</translation>
    </message>
    <message>
        <source>CPU only — this llama.cpp build has no GPU offload</source>
        <translation>仅 CPU —— 当前的 llama.cpp 版本不支持 GPU 卸载</translation>
    </message>
    <message>
        <source>none (CPU only)</source>
        <translation>无（仅 CPU）</translation>
    </message>
    <message>
        <source>not set</source>
        <translation>未设置</translation>
    </message>
    <message>
        <source>all</source>
        <translation>全部</translation>
    </message>
    <message>
        <source>{url} · speeds measured by this computer, network included</source>
        <translation>{url} · 速度由本机测得，包含网络时间</translation>
    </message>
    <message>
        <source>llama-cpp-python {v}</source>
        <translation>llama-cpp-python {v}</translation>
    </message>
    <message>
        <source>llama.cpp&apos;s report of the features it was built with</source>
        <translation>llama.cpp 报告的编译特性</translation>
    </message>
</context>
<context>
    <name>Preferences</name>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>The new language is used when Tokenscope starts again.</source>
        <translation>新的语言将在 Tokenscope 下次启动时生效。</translation>
    </message>
    <message>
        <source>About Tokenscope</source>
        <translation>关于 Tokenscope</translation>
    </message>
    <message>
        <source>&lt;h3&gt;Tokenscope %1&lt;/h3&gt;&lt;p&gt;Chat with language models on your own computer, offline, and see how they work: every token with its probability, the sampler&apos;s candidates, the prompt as tokens and the context window.&lt;/p&gt;&lt;p&gt;Models run with llama.cpp (llama-cpp-python).&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Tokenscope %1&lt;/h3&gt;&lt;p&gt;在你自己的电脑上离线与语言模型对话，并看清它们是如何工作的：每个词元及其概率、采样器的候选词元、被切分成词元的提示词，以及上下文窗口。&lt;/p&gt;&lt;p&gt;模型由 llama.cpp（llama-cpp-python）运行。&lt;/p&gt;</translation>
    </message>
</context>
<context>
    <name>Presets</name>
    <message>
        <source>llama.cpp defaults</source>
        <extracomment>The preset every install starts with: llama.cpp&apos;s own defaults.</extracomment>
        <translation>llama.cpp 默认值</translation>
    </message>
    <message>
        <source>Precise (greedy)</source>
        <translation>精确（贪心）</translation>
    </message>
    <message>
        <source>Creative</source>
        <translation>创意</translation>
    </message>
    <message>
        <source>Custom</source>
        <translation>自定义</translation>
    </message>
</context>
<context>
    <name>RemoteServers</name>
    <message>
        <source>The server %1 is no longer saved: connect to it again with File ▸ Connect to a server…</source>
        <translation>服务器 %1 已不在保存列表中：请通过“文件 ▸ 连接到服务器…”重新连接。</translation>
    </message>
    <message>
        <source>Stop the reply first.</source>
        <translation>请先停止回复。</translation>
    </message>
    <message>
        <source>Connecting to %1…</source>
        <translation>正在连接 %1…</translation>
    </message>
    <message>
        <source>Could not connect to the server</source>
        <translation>无法连接到服务器</translation>
    </message>
    <message>
        <source>The reply was cut off: %1</source>
        <translation>回复被中断：%1</translation>
    </message>
    <message>
        <source>%1 at %2</source>
        <translation>%1（%2）</translation>
    </message>
    <message>
        <source>Connected to %1 on %2</source>
        <translation>已连接到 %2 上的 %1</translation>
    </message>
</context>
<context>
    <name>RemoteTexts</name>
    <message>
        <source>The server sampled this reply under a grammar, and does not say which of its {n} candidates the grammar allowed: only the model&apos;s own probabilities are shown.</source>
        <translation>服务器在语法约束下采样了这条回复，但没有说明语法允许了它返回的 {n} 个候选中的哪些：这里只显示模型自身的概率。</translation>
    </message>
    <message>
        <source>A remote server does not reveal its sampler stages: these stages are replayed over the {n} candidates the server returned only, and are approximate.</source>
        <translation>远程服务器不公开其采样阶段：这些阶段仅基于服务器返回的 {n} 个候选重放，结果是近似的。</translation>
    </message>
    <message>
        <source>The server sent {n} token(s) without their text (pieces of characters split over several tokens, which llama-cpp-python&apos;s server drops when it streams): the reply is incomplete. llama.cpp&apos;s llama-server sends them whole.</source>
        <translation>服务器发送了 {n} 个不带文本的词元（被拆分到多个词元中的字符片段，llama-cpp-python 的服务器在流式输出时会丢弃它们）：回复不完整。llama.cpp 的 llama-server 会完整发送它们。</translation>
    </message>
    <message>
        <source>This server does not read these settings, so the reply was sampled without them: {names}.</source>
        <translation>此服务器不读取以下设置，因此回复是在没有它们的情况下采样的：{names}。</translation>
    </message>
    <message>
        <source>Remote reply: what-if works over the top {n} candidates the server returned only and is approximate; the server does not reveal what its sampler did.</source>
        <translation>远程回复：假设推演仅基于服务器返回的前 {n} 个候选，结果是近似的；服务器不公开其采样器做了什么。</translation>
    </message>
    <message>
        <source>token {i} of {n} · from a remote server (no token id)</source>
        <translation>第 {i} / {n} 个词元 · 来自远程服务器（无词元 ID）</translation>
    </message>
    <message>
        <source>≈ {bits:.2f} bits (estimate from the top {n})</source>
        <translation>≈ {bits:.2f} 比特（由前 {n} 个候选估计）</translation>
    </message>
    <message>
        <source>the server does not reveal the final distribution it drew from</source>
        <translation>服务器不公开其抽样所用的最终分布</translation>
    </message>
    <message>
        <source>greedy: the most probable token (p 100% in the final distribution)</source>
        <translation>贪心：概率最高的词元（最终分布中 p 为 100%）</translation>
    </message>
    <message>
        <source>Remote reply: about {n} prompt tokens (an estimate: this server does not show how it tokenizes the prompt)</source>
        <translation>远程回复：提示约 {n} 个词元（估计值：此服务器不显示如何切分提示）</translation>
    </message>
    <message>
        <source>Remote reply: {n} prompt tokens, as the server tokenized the prompt</source>
        <translation>远程回复：提示 {n} 个词元，按服务器的切分</translation>
    </message>
    <message>
        <source>; the server counted {u}</source>
        <translation>；服务器计数为 {u}</translation>
    </message>
    <message>
        <source>; reply tokens: {r}</source>
        <translation>；回复词元：{r}</translation>
    </message>
    <message>
        <source> of a {c}-token context window</source>
        <translation>，上下文窗口共 {c} 个词元</translation>
    </message>
</context>
<context>
    <name>RepetitionView</name>
    <message>
        <source>Let the model write the sentence</source>
        <translation>让模型自己写这个句子</translation>
    </message>
    <message>
        <source>Sentence:</source>
        <translation>句子：</translation>
    </message>
    <message>
        <source>Repetitions k up to:</source>
        <translation>重复次数 k 最多：</translation>
    </message>
    <message>
        <source>Repetition penalty:</source>
        <translation>重复惩罚：</translation>
    </message>
    <message>
        <source>Frequency penalty:</source>
        <translation>频率惩罚：</translation>
    </message>
    <message>
        <source>Presence penalty:</source>
        <translation>存在惩罚：</translation>
    </message>
    <message>
        <source>Penalty window (tokens, -1 = all):</source>
        <translation>惩罚窗口（词元，-1 = 全部）：</translation>
    </message>
    <message>
        <source>DRY multiplier (0 = off); base, allowed length and window are llama.cpp&apos;s defaults</source>
        <translation>DRY 系数（0 = 关闭）；底数、允许长度和窗口使用 llama.cpp 的默认值</translation>
    </message>
    <message>
        <source>DRY multiplier:</source>
        <translation>DRY 系数：</translation>
    </message>
    <message>
        <source>Logarithmic scale</source>
        <translation>对数刻度</translation>
    </message>
    <message>
        <source>k: times the sentence is already in the context</source>
        <translation>k：该句子已在上下文中出现的次数</translation>
    </message>
    <message>
        <source>P(the sentence again)</source>
        <translation>P（再次写出该句子）</translation>
    </message>
    <message>
        <source>Repetition feeds itself</source>
        <translation>重复会自我强化</translation>
    </message>
    <message>
        <source>After a sentence has appeared k times, how likely is the model to write it once more? The second curve applies the repetition, frequency and presence penalties and DRY to the same logits.</source>
        <translation>一个句子出现 k 次之后，模型再写一遍的可能性有多大？第二条曲线在同样的 logits 上施加了重复、频率、存在惩罚以及 DRY。</translation>
    </message>
    <message>
        <source>raw</source>
        <translation>原始</translation>
    </message>
    <message>
        <source>with penalties</source>
        <translation>施加惩罚后</translation>
    </message>
</context>
<context>
    <name>ScoreView</name>
    <message>
        <source>Score a text of your own, or a message of the open conversation in its place in the chat</source>
        <translation>给你自己的文本打分，或给当前对话中的某条消息在其原位置打分</translation>
    </message>
    <message>
        <source>Open file…</source>
        <translation>打开文件…</translation>
    </message>
    <message>
        <source>Paste a text here, or open a file…</source>
        <translation>在此粘贴文本，或打开文件…</translation>
    </message>
    <message>
        <source>as raw text</source>
        <translation>作为原始文本</translation>
    </message>
    <message>
        <source>as the assistant&apos;s reply to the prompt</source>
        <translation>作为助手对提示的回复</translation>
    </message>
    <message>
        <source>as the user&apos;s message</source>
        <translation>作为用户的消息</translation>
    </message>
    <message>
        <source>the prompt it answers (for a reply)</source>
        <translation>它所回答的提示（用于回复）</translation>
    </message>
    <message>
        <source>batched (fast)</source>
        <translation>批量（快）</translation>
    </message>
    <message>
        <source>exact (token by token)</source>
        <translation>精确（逐个词元）</translation>
    </message>
    <message>
        <source>Batched runs the whole text through the model at once; exact decodes it one token at a time, as generation does. On quantized weights the two give slightly different numbers; only exact reproduces a reply&apos;s own probabilities.</source>
        <translation>批量模式一次把整段文本送入模型；精确模式像生成时那样一次解码一个词元。在量化权重上两者的数值略有不同；只有精确模式能重现一条回复自己的概率。</translation>
    </message>
    <message>
        <source>Score</source>
        <translation>打分</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>Tokens per rank bucket (GLTR)</source>
        <translation>各排名区间的词元数（GLTR）</translation>
    </message>
    <message>
        <source>Surprisal per token (bits)</source>
        <translation>每个词元的意外度（比特）</translation>
    </message>
    <message>
        <source>What it can tell: how predictable this text is for &lt;i&gt;this&lt;/i&gt; model — many green (top-10) tokens and a low perplexity mean the model would likely have written it. What it cannot tell: who wrote it. Formulaic human text scores the same, text sampled at a high temperature looks human, and another model judges differently.</source>
        <translation>它能说明的：这段文本对&lt;i&gt;这个&lt;/i&gt;模型来说有多好预测——绿色（前 10）词元多、困惑度低，说明这个模型很可能写出这样的文本。它不能说明的：文本是谁写的。套路化的人类文本得分也一样，高温度采样的文本看起来像人写的，换一个模型判断也会不同。</translation>
    </message>
    <message>
        <source>Text:</source>
        <translation>文本：</translation>
    </message>
    <message>
        <source>Your text (below)</source>
        <translation>你的文本（下方）</translation>
    </message>
    <message>
        <source>You</source>
        <translation>你</translation>
    </message>
    <message>
        <source>Assistant</source>
        <translation>助手</translation>
    </message>
    <message>
        <source>Open a text</source>
        <translation>打开文本</translation>
    </message>
    <message>
        <source>Text (*.txt *.md);;All files (*)</source>
        <translation>文本 (*.txt *.md);;所有文件 (*)</translation>
    </message>
    <message>
        <source>There is no text to score.</source>
        <translation>没有要打分的文本。</translation>
    </message>
    <message>
        <source>Scoring…</source>
        <translation>正在打分…</translation>
    </message>
    <message>
        <source>batched</source>
        <translation>批量</translation>
    </message>
    <message>
        <source>exact</source>
        <translation>精确</translation>
    </message>
    <message>
        <source>%1 tokens scored by %2 (%3) · perplexity &lt;b&gt;%4&lt;/b&gt; · mean surprisal %5 bits/token · top-10: %6%</source>
        <translation>%2 给 %1 个词元打分（%3）· 困惑度 &lt;b&gt;%4&lt;/b&gt; · 平均意外度 %5 比特/词元 · 前 10：%6%</translation>
    </message>
    <message>
        <source>tokens</source>
        <translation>词元数</translation>
    </message>
    <message>
        <source>bits</source>
        <translation>比特</translation>
    </message>
    <message>
        <source>token</source>
        <translation>词元</translation>
    </message>
    <message>
        <source>not scored: nothing comes before it</source>
        <translation>未打分：它前面没有任何内容</translation>
    </message>
    <message>
        <source>p = %1 · rank %2 · %3 bits</source>
        <translation>概率 %1 · 排名 %2 · %3 比特</translation>
    </message>
    <message>
        <source>%1: p = %2, rank %3 of the vocabulary, %4 bits. The model expected:</source>
        <translation>%1：概率 %2，在整个词表中排名 %3，%4 比特。模型原本预期：</translation>
    </message>
    <message>
        <source>Click a token to see what the model expected.</source>
        <translation>点击一个词元，查看模型原本的预期。</translation>
    </message>
</context>
<context>
    <name>ServersDialog</name>
    <message>
        <source>Remote servers</source>
        <extracomment>server name, list of model ids server name, message</extracomment>
        <translation>远程服务器</translation>
    </message>
    <message>
        <source>New</source>
        <translation>新建</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Chat with a model served elsewhere: vLLM, llama.cpp&apos;s llama-server, LM Studio, Ollama or any OpenAI-compatible server. Probabilities come from the server&apos;s logprobs; a server does not reveal its sampler stages.</source>
        <translation>与部署在别处的模型聊天：vLLM、llama.cpp 的 llama-server、LM Studio、Ollama 或任何兼容 OpenAI 的服务器。概率来自服务器返回的 logprobs；服务器不公开其采样阶段。</translation>
    </message>
    <message>
        <source>API key</source>
        <translation>API 密钥</translation>
    </message>
    <message>
        <source>chatml, or a Jinja file (for branching)</source>
        <translation>chatml，或 Jinja 文件（用于分支）</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>URL</source>
        <translation>URL</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Top-N per token</source>
        <translation>每个词元的前 N 个候选</translation>
    </message>
    <message>
        <source>Chat template</source>
        <translation>聊天模板</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>List models</source>
        <translation>列出模型</translation>
    </message>
    <message>
        <source>Connect</source>
        <translation>连接</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>saved in the keyring (type to replace)</source>
        <translation>已保存在密钥环中（输入以替换）</translation>
    </message>
    <message>
        <source>none (type one if the server needs it)</source>
        <translation>无（如服务器需要请输入）</translation>
    </message>
    <message>
        <source>Saved. The API key is in %1.</source>
        <translation>已保存。API 密钥位于%1。</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>已保存。</translation>
    </message>
    <message>
        <source>Removed %1 and its API key.</source>
        <translation>已移除 %1 及其 API 密钥。</translation>
    </message>
    <message>
        <source>Asking %1 for its models…</source>
        <translation>正在向 %1 查询模型…</translation>
    </message>
    <message>
        <source>Models on %1: %2</source>
        <translation>%1 上的模型：%2 个</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings</source>
        <extracomment>The name an edited built-in preset is saved under.</extracomment>
        <translation>设置</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Sampling</source>
        <translation>采样</translation>
    </message>
    <message>
        <source>More samplers</source>
        <translation>更多采样器</translation>
    </message>
    <message>
        <source>Chat</source>
        <translation>对话</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Connected to %1: these settings are for models loaded on this computer; the server runs its model with its own (its context window, threads and GPU).</source>
        <translation>已连接到 %1：这些设置用于在本机加载的模型；服务器用它自己的设置运行它的模型（上下文窗口、线程数和 GPU）。</translation>
    </message>
    <message>
        <source> tokens</source>
        <translation> 个词元</translation>
    </message>
    <message>
        <source>How many tokens the model can see at once: prompt, history and reply.</source>
        <translation>模型一次能看到多少个词元：包括提示词、历史消息和回复。</translation>
    </message>
    <message>
        <source>Context window (n_ctx):</source>
        <translation>上下文窗口（n_ctx）：</translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>CPU threads:</source>
        <translation>CPU 线程数：</translation>
    </message>
    <message>
        <source>All layers</source>
        <translation>全部层</translation>
    </message>
    <message>
        <source>GPU layers:</source>
        <translation>GPU 层数：</translation>
    </message>
    <message>
        <source>This llama.cpp build has no GPU offload.</source>
        <translation>当前的 llama.cpp 版本不支持 GPU 卸载。</translation>
    </message>
    <message>
        <source>These take effect when the model is loaded again.</source>
        <translation>这些设置将在下次加载模型时生效。</translation>
    </message>
    <message>
        <source>Preset:</source>
        <translation>预设：</translation>
    </message>
    <message>
        <source>Save as…</source>
        <translation>另存为…</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Temperature:</source>
        <translation>温度：</translation>
    </message>
    <message>
        <source>Higher is more random; 0 always takes the most likely token (greedy).</source>
        <translation>越高越随机；为 0 时总是选择最可能的词元（贪心）。</translation>
    </message>
    <message>
        <source>Top-k:</source>
        <translation>Top-k：</translation>
    </message>
    <message>
        <source>Keep only the k most likely tokens (0: off).</source>
        <translation>只保留最可能的 k 个词元（0：关闭）。</translation>
    </message>
    <message>
        <source>off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Top-p:</source>
        <translation>Top-p：</translation>
    </message>
    <message>
        <source>Keep the most likely tokens until their probabilities add up to p.</source>
        <translation>按概率从高到低保留词元，直到它们的概率之和达到 p。</translation>
    </message>
    <message>
        <source>Min-p:</source>
        <translation>Min-p：</translation>
    </message>
    <message>
        <source>Drop tokens less likely than min-p times the most likely one.</source>
        <translation>丢弃概率低于“最可能词元的概率 × min-p”的词元。</translation>
    </message>
    <message>
        <source>Typical-p:</source>
        <translation>Typical-p：</translation>
    </message>
    <message>
        <source>Locally typical sampling (1: off).</source>
        <translation>局部典型采样（1：关闭）。</translation>
    </message>
    <message>
        <source>Repeat penalty:</source>
        <translation>重复惩罚：</translation>
    </message>
    <message>
        <source>Make recently used tokens less likely (1: off).</source>
        <translation>降低最近出现过的词元的概率（1：关闭）。</translation>
    </message>
    <message>
        <source>Penalty window:</source>
        <translation>惩罚窗口：</translation>
    </message>
    <message>
        <source>How many recent tokens the penalties look at (-1: all).</source>
        <translation>惩罚项考虑最近多少个词元（-1：全部）。</translation>
    </message>
    <message>
        <source>Frequency penalty:</source>
        <translation>频率惩罚：</translation>
    </message>
    <message>
        <source>Subtracted once per earlier use of a token.</source>
        <translation>词元之前每出现一次，就减去一次该值。</translation>
    </message>
    <message>
        <source>Presence penalty:</source>
        <translation>存在惩罚：</translation>
    </message>
    <message>
        <source>Subtracted once from any token already used.</source>
        <translation>对已经出现过的词元减去一次该值。</translation>
    </message>
    <message>
        <source>Seed:</source>
        <translation>随机种子：</translation>
    </message>
    <message>
        <source>Fix the random seed to get the same reply again (random: a new one each time).</source>
        <translation>固定随机种子，就能再次得到相同的回复（随机：每次都用新的种子）。</translation>
    </message>
    <message>
        <source>random</source>
        <translation>随机</translation>
    </message>
    <message>
        <source>Changing a built-in preset saves your values as “Custom”.</source>
        <translation>修改内置预设时，你的设置会保存为“自定义”。</translation>
    </message>
    <message>
        <source>e.g. You are a helpful assistant. Answer briefly.</source>
        <translation>例如：你是一个乐于助人的助手，请简要回答。</translation>
    </message>
    <message>
        <source>System prompt:</source>
        <translation>系统提示词：</translation>
    </message>
    <message>
        <source>Instructions the model reads before every conversation. Applies to new chats.</source>
        <translation>模型在每次对话开始前读到的指令。对新对话生效。</translation>
    </message>
    <message>
        <source>Longest reply:</source>
        <translation>最长回复：</translation>
    </message>
    <message>
        <source>System (%1)</source>
        <translation>跟随系统（%1）</translation>
    </message>
    <message>
        <source>Language:</source>
        <translation>语言：</translation>
    </message>
    <message>
        <source>Takes effect when Tokenscope starts again.</source>
        <translation>将在 Tokenscope 下次启动时生效。</translation>
    </message>
    <message>
        <source>Save preset</source>
        <translation>保存预设</translation>
    </message>
    <message>
        <source>Preset name:</source>
        <translation>预设名称：</translation>
    </message>
    <message>
        <source>“%1” is a built-in preset; choose another name.</source>
        <translation>“%1”是内置预设，请换一个名称。</translation>
    </message>
    <message>
        <source>Delete preset</source>
        <translation>删除预设</translation>
    </message>
    <message>
        <source>Delete the preset “%1”?</source>
        <translation>要删除预设“%1”吗？</translation>
    </message>
</context>
<context>
    <name>StageStrip</name>
    <message>
        <source>Sampling stage</source>
        <translation>采样阶段</translation>
    </message>
</context>
<context>
    <name>StageTexts</name>
    <message>
        <source>raw</source>
        <translation>原始</translation>
    </message>
    <message>
        <source>bias</source>
        <translation>偏置</translation>
    </message>
    <message>
        <source>grammar</source>
        <translation>语法</translation>
    </message>
    <message>
        <source>penalty</source>
        <translation>惩罚</translation>
    </message>
    <message>
        <source>DRY</source>
        <translation>DRY</translation>
    </message>
    <message>
        <source>top-nσ</source>
        <translation>top-nσ</translation>
    </message>
    <message>
        <source>top-k</source>
        <translation>top-k</translation>
    </message>
    <message>
        <source>typical</source>
        <translation>typical</translation>
    </message>
    <message>
        <source>top-p</source>
        <translation>top-p</translation>
    </message>
    <message>
        <source>min-p</source>
        <translation>min-p</translation>
    </message>
    <message>
        <source>XTC</source>
        <translation>XTC</translation>
    </message>
    <message>
        <source>temp.</source>
        <translation>温度</translation>
    </message>
    <message>
        <source>mirostat</source>
        <translation>mirostat</translation>
    </message>
    <message>
        <source>Raw softmax of the model&apos;s logits: the top {n} stored candidates, with their probability over the whole vocabulary.</source>
        <translation>对模型 logits 直接做 softmax 的结果：保存下来的前 {n} 个候选，以及它们在整个词表上的概率。</translation>
    </message>
    <message>
        <source>Repeat penalty {r}: tokens seen in the last {n} tokens are made less likely.</source>
        <translation>重复惩罚 {r}：在最近 {n} 个词元中出现过的词元会变得更不可能被选中。</translation>
    </message>
    <message>
        <source>Penalties are off: nothing changes.</source>
        <translation>惩罚已关闭：这一步不做任何改变。</translation>
    </message>
    <message>
        <source>top-k {k}: keeps the {k} most likely tokens.</source>
        <translation>top-k {k}：保留最可能的 {k} 个词元。</translation>
    </message>
    <message>
        <source>top-k is off.</source>
        <translation>top-k 已关闭。</translation>
    </message>
    <message>
        <source>typical-p {p}: keeps the tokens whose surprise is closest to the average.</source>
        <translation>typical-p {p}：保留“意外程度”最接近平均值的词元。</translation>
    </message>
    <message>
        <source>typical-p is off.</source>
        <translation>typical-p 已关闭。</translation>
    </message>
    <message>
        <source>top-p {p}: keeps the most likely tokens until they add up to {p} (the line: cumulative probability).</source>
        <translation>top-p {p}：按概率从高到低保留词元，直到累计达到 {p}（折线为累计概率）。</translation>
    </message>
    <message>
        <source>top-p is off.</source>
        <translation>top-p 已关闭。</translation>
    </message>
    <message>
        <source>min-p {p}: drops tokens less than {p} × as likely as the best one.</source>
        <translation>min-p {p}：丢弃概率不到最高者 {p} 倍的词元。</translation>
    </message>
    <message>
        <source>min-p is off.</source>
        <translation>min-p 已关闭。</translation>
    </message>
    <message>
        <source>Temperature 0: greedy, only the most likely token stays.</source>
        <translation>温度为 0：贪心，只留下最可能的那个词元。</translation>
    </message>
    <message>
        <source>Temperature {t}: below 1 sharper, above 1 flatter.</source>
        <translation>温度 {t}：低于 1 时分布更尖锐，高于 1 时更平缓。</translation>
    </message>
    <message>
        <source>The final distribution: the token is drawn from it.</source>
        <translation>最终分布：词元就是从这里抽取的。</translation>
    </message>
    <message>
        <source>{kept} of {n} kept.</source>
        <translation>保留了 {n} 个中的 {kept} 个。</translation>
    </message>
    <message>
        <source>Logit bias: {n} token(s) made more or less likely (−inf bans).</source>
        <translation>Logit 偏置：调高或调低了 {n} 个词元的可能性（−inf 表示禁止）。</translation>
    </message>
    <message>
        <source>Grammar: tokens that cannot continue the grammar are masked.</source>
        <translation>语法：不能接续语法的词元被屏蔽。</translation>
    </message>
    <message>
        <source>Here it masked {n} tokens of the vocabulary.</source>
        <translation>这一步它屏蔽了词表中的 {n} 个词元。</translation>
    </message>
    <message>
        <source>DRY {m} × {b}^(n − {a}): a token that would continue a repetition of n ≥ {a} tokens is pushed down.</source>
        <translation>DRY {m} × {b}^(n − {a})：会让 n ≥ {a} 个词元的重复继续下去的词元被压低。</translation>
    </message>
    <message>
        <source>“{t}” would repeat {n} tokens (−{p:.2f})</source>
        <translation>“{t}”会重复 {n} 个词元（−{p:.2f}）</translation>
    </message>
    <message>
        <source>No repetition matched here.</source>
        <translation>这里没有匹配到重复。</translation>
    </message>
    <message>
        <source>top-nσ {n}: keeps the tokens whose logit is within {n} standard deviations of the best.</source>
        <translation>top-nσ {n}：保留 logit 与最高者相差不超过 {n} 个标准差的词元。</translation>
    </message>
    <message>
        <source>XTC: with chance {p}, removes every token above {t} except the least likely of them.</source>
        <translation>XTC：以 {p} 的概率，移除所有概率高于 {t} 的词元，只留下其中最不可能的一个。</translation>
    </message>
    <message>
        <source>Here the coin said: apply.</source>
        <translation>这一步掷币结果：执行。</translation>
    </message>
    <message>
        <source>Here the coin said: skip.</source>
        <translation>这一步掷币结果：跳过。</translation>
    </message>
    <message>
        <source>Mirostat {v}: keeps as many tokens as target a surprise of {tau} bits, then draws (it replaces the other stages).</source>
        <translation>Mirostat {v}：保留足够多的词元，使意外度接近 {tau} 比特，然后抽取（它取代其他阶段）。</translation>
    </message>
    <message>
        <source>μ before this token: {mu:.2f}.</source>
        <translation>此词元之前的 μ：{mu:.2f}。</translation>
    </message>
</context>
<context>
    <name>StatusLine</name>
    <message>
        <source>No model</source>
        <translation>未加载模型</translation>
    </message>
    <message>
        <source>The loaded model</source>
        <translation>当前加载的模型</translation>
    </message>
    <message>
        <source>Where the model runs</source>
        <translation>模型运行的位置</translation>
    </message>
    <message>
        <source>Tokens in the context window: used by the last reply / available</source>
        <translation>上下文窗口中的词元：最近一次回复已用 / 总容量</translation>
    </message>
    <message>
        <source>Generation speed of the last reply</source>
        <translation>最近一次回复的生成速度</translation>
    </message>
    <message>
        <source>⚠ plain chat template</source>
        <translation>⚠ 纯文本对话模板</translation>
    </message>
    <message>
        <source>The model&apos;s chat template failed; using the plain template (details in the tooltip).</source>
        <translation>模型的对话模板出错，改用纯文本模板（详情见提示）。</translation>
    </message>
    <message>
        <source>template: %1 (llama.cpp)</source>
        <translation>模板：%1（llama.cpp）</translation>
    </message>
    <message>
        <source>plain chat template</source>
        <translation>纯文本对话模板</translation>
    </message>
    <message>
        <source>%1 · all layers on GPU</source>
        <translation>%1 · 所有层都在 GPU 上</translation>
    </message>
    <message>
        <source>%1 · %2 GPU layers</source>
        <translation>%1 · %2 层在 GPU 上</translation>
    </message>
    <message>
        <source>Context %1 / %2</source>
        <translation>上下文 %1 / %2</translation>
    </message>
    <message>
        <source>Context 0 / %1</source>
        <translation>上下文 0 / %1</translation>
    </message>
    <message>
        <source>%1 tok/s</source>
        <translation>%1 词元/秒</translation>
    </message>
</context>
<context>
    <name>StepView</name>
    <message>
        <source>A new prompt to step through…</source>
        <extracomment>the reply node made from the steps (a new branch)</extracomment>
        <translation>输入新的提示，逐词生成…</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>开始</translation>
    </message>
    <message>
        <source>From the selected token</source>
        <translation>从选中的词元开始</translation>
    </message>
    <message>
        <source>Step on from the token selected in the chat: the reply&apos;s tokens before it stay.</source>
        <translation>从聊天中选中的词元处继续逐词生成：回复中它之前的词元保留。</translation>
    </message>
    <message>
        <source>Type a token or word and press Enter to force it</source>
        <translation>输入一个词元或词语，按回车强制接上</translation>
    </message>
    <message>
        <source>Sample (Space)</source>
        <translation>采样（空格）</translation>
    </message>
    <message>
        <source>Undo (Backspace)</source>
        <translation>撤销（退格）</translation>
    </message>
    <message>
        <source>Keep as a branch</source>
        <translation>保留为分支</translation>
    </message>
    <message>
        <source>Space: let the sampler draw · 1–9: take that candidate · Backspace: undo · type text and Enter: force it</source>
        <translation>空格：让采样器抽取 · 1–9：选用该候选 · 退格：撤销 · 输入文本并回车：强制接上</translation>
    </message>
    <message>
        <source>Load a model first.</source>
        <translation>请先加载模型。</translation>
    </message>
    <message>
        <source>Select a token of a reply in the chat first.</source>
        <translation>请先在聊天中选中回复里的一个词元。</translation>
    </message>
    <message>
        <source>Reading the prompt…</source>
        <translation>正在读取提示词…</translation>
    </message>
    <message>
        <source>Start first: type a prompt, or select a token in the chat and step on from there.</source>
        <translation>请先开始：输入提示，或在聊天中选中一个词元并从那里继续。</translation>
    </message>
    <message>
        <source>There is nothing to keep yet.</source>
        <translation>还没有可保留的内容。</translation>
    </message>
    <message>
        <source>Kept as a new version of the reply.</source>
        <translation>已保留为回复的新版本。</translation>
    </message>
    <message>
        <source>%1 tokens · the reply has ended (Backspace undoes)</source>
        <translation>%1 个词元 · 回复已结束（退格撤销）</translation>
    </message>
    <message>
        <source>%1 tokens (%2 chosen by you) · seed %3 · the sampler would draw %4 now</source>
        <translation>%1 个词元（其中 %2 个由你选择）· 种子 %3 · 采样器此刻会抽到 %4</translation>
    </message>
</context>
<context>
    <name>ThinkingBlock</name>
    <message>
        <source>What the model wrote between &lt;think&gt; and &lt;/think&gt; before answering. It takes room in the context window like any other tokens.</source>
        <translation>模型在回答之前写在 &lt;think&gt; 和 &lt;/think&gt; 之间的内容。它和其他词元一样占用上下文窗口。</translation>
    </message>
    <message numerus="yes">
        <source>Thinking (%n tokens)</source>
        <translation>
            <numerusform>思考（%n 个词元）</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TimelineAxis</name>
    <message>
        <source>{n} bits</source>
        <translation>{n} 比特</translation>
    </message>
</context>
<context>
    <name>TimelineChart</name>
    <message>
        <source>Probability and entropy per token</source>
        <extracomment>the least likely token of the span: where a click takes you token index</extracomment>
        <translation>每个词元的概率与熵</translation>
    </message>
    <message>
        <source>No tokens yet</source>
        <extracomment>the reply&apos;s thinking block as (first, last) token index, or None</extracomment>
        <translation>还没有词元</translation>
    </message>
    <message>
        <source>thinking</source>
        <translation>思考</translation>
    </message>
    <message>
        <source>p of the token</source>
        <translation>词元的概率</translation>
    </message>
    <message>
        <source>entropy (bits)</source>
        <translation>熵（比特）</translation>
    </message>
    <message>
        <source>p &lt; {p:.0%}</source>
        <translation>概率 &lt; {p:.0%}</translation>
    </message>
    <message>
        <source>#{i} “{token}” (id {id})
p {p} · rank {rank}
entropy {h:.2f} bits</source>
        <translation>#{i} “{token}”（ID {id}）
概率 {p} · 排名 {rank}
熵 {h:.2f} 比特</translation>
    </message>
</context>
<context>
    <name>TimelinePanel</name>
    <message>
        <source>Click a token to inspect it; ←/→ step through them.</source>
        <extracomment>node id, token index</extracomment>
        <translation>点击词元进行查看；用 ←/→ 逐个浏览。</translation>
    </message>
    <message>
        <source>Click a span to inspect its least likely token</source>
        <translation>点击一个片段，查看其中最不可能的词元</translation>
    </message>
    <message>
        <source>Low-confidence spans</source>
        <translation>低置信度片段</translation>
    </message>
    <message>
        <source>token {a}</source>
        <translation>词元 {a}</translation>
    </message>
    <message>
        <source>tokens {a}–{b}</source>
        <translation>词元 {a}–{b}</translation>
    </message>
    <message>
        <source>{tokens} · min p {p} · “{text}”</source>
        <translation>{tokens} · 最低概率 {p} · “{text}”</translation>
    </message>
    <message>
        <source>Click to inspect token {i}, the least likely of this span</source>
        <translation>点击查看词元 {i}，它是这个片段中最不可能的一个</translation>
    </message>
    <message>
        <source>Select a reply to see its tokens&apos; probabilities.</source>
        <translation>选择一条回复，查看其中各个词元的概率。</translation>
    </message>
    <message>
        <source>{n} tokens · mean p {p} · {k} low-confidence spans</source>
        <translation>{n} 个词元 · 平均概率 {p} · {k} 个低置信度片段</translation>
    </message>
    <message>
        <source>Low-confidence spans (p &lt; {p:.0%}), where the model was unsure — check these for errors:</source>
        <translation>低置信度片段（概率 &lt; {p:.0%}），也就是模型没把握的地方 —— 请检查这些地方是否有错：</translation>
    </message>
    <message>
        <source>No low-confidence spans: every token had p ≥ {p:.0%}.</source>
        <translation>没有低置信度片段：每个词元的概率都 ≥ {p:.0%}。</translation>
    </message>
</context>
<context>
    <name>TokenDialog</name>
    <message>
        <source>Hugging Face token</source>
        <translation>Hugging Face 令牌</translation>
    </message>
    <message>
        <source>A token lets Tokenscope download gated or private models your Hugging Face account has access to. Public models need none. Create a token with &lt;i&gt;read&lt;/i&gt; access at &lt;a href=&quot;%1&quot;&gt;huggingface.co/settings/tokens&lt;/a&gt;; it is kept in your system&apos;s keyring.</source>
        <translation>有了令牌，Tokenscope 就能下载你的 Hugging Face 账户有权访问的受限或私有模型。公开模型不需要令牌。请在 &lt;a href=&quot;%1&quot;&gt;huggingface.co/settings/tokens&lt;/a&gt; 创建一个具有&lt;i&gt;读取&lt;/i&gt;权限的令牌；它会保存在系统的钥匙串中。</translation>
    </message>
    <message>
        <source>Paste a token (hf_…)</source>
        <translation>粘贴令牌（hf_…）</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>Remove the saved token</source>
        <translation>移除已保存的令牌</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Using the token from the HF_TOKEN environment variable. It takes precedence over a token saved here.</source>
        <translation>正在使用环境变量 HF_TOKEN 中的令牌，它优先于这里保存的令牌。</translation>
    </message>
    <message>
        <source>A token is saved in %1.</source>
        <translation>令牌已保存在%1中。</translation>
    </message>
    <message>
        <source>Token saved in %1.</source>
        <translation>令牌已保存到%1。</translation>
    </message>
    <message>
        <source>No token saved.</source>
        <translation>尚未保存令牌。</translation>
    </message>
    <message>
        <source>The saved token was removed.</source>
        <translation>已移除保存的令牌。</translation>
    </message>
</context>
<context>
    <name>TokenSpans</name>
    <message>
        <source>token</source>
        <extracomment>href scheme of token anchors: ``tok:&lt;node_id&gt;:&lt;index&gt;`` Text colour on heat backgrounds (they are all light). index (into the reply&apos;s traces) of the first token of the group one past the last what the group reads as (complete characters only) joint probability of the group&apos;s tokens under the model the highest entropy among the group&apos;s steps (bits) a control token such as &lt;|im_end|&gt;</extracomment>
        <translation>词元</translation>
    </message>
    <message>
        <source>id</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>probability</source>
        <translation>概率</translation>
    </message>
    <message>
        <source>rank</source>
        <translation>排名</translation>
    </message>
    <message>
        <source>entropy (bits)</source>
        <translation>熵（比特）</translation>
    </message>
    <message numerus="yes">
        <source>%n tokens make up this text together; their joint probability is %1.</source>
        <translation>
            <numerusform>这段文字由 %n 个词元共同组成，它们的联合概率为 %1。</numerusform>
        </translation>
    </message>
    <message>
        <source>Click to inspect the candidates.</source>
        <translation>点击查看候选词元。</translation>
    </message>
</context>
<context>
    <name>TokenizersView</name>
    <message>
        <source>English sample</source>
        <translation>英文示例</translation>
    </message>
    <message>
        <source>Chinese sample</source>
        <translation>中文示例</translation>
    </message>
    <message>
        <source>Code sample</source>
        <translation>代码示例</translation>
    </message>
    <message>
        <source>My own text</source>
        <translation>我自己的文本</translation>
    </message>
    <message>
        <source>the bundled texts</source>
        <translation>内置文本</translation>
    </message>
    <message>
        <source>Folder…</source>
        <translation>文件夹…</translation>
    </message>
    <message>
        <source>Bundled</source>
        <translation>内置</translation>
    </message>
    <message>
        <source>Text:</source>
        <translation>文本：</translation>
    </message>
    <message>
        <source>SentencePiece vocabulary:</source>
        <translation>SentencePiece 词表大小：</translation>
    </message>
    <message>
        <source>SentencePiece type:</source>
        <translation>SentencePiece 类型：</translation>
    </message>
    <message>
        <source>Training corpus:</source>
        <translation>训练语料：</translation>
    </message>
    <message>
        <source>Tokenizer</source>
        <translation>分词器</translation>
    </message>
    <message>
        <source>Text</source>
        <translation>文本</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Characters</source>
        <translation>字符数</translation>
    </message>
    <message>
        <source>Tokens</source>
        <translation>词元数</translation>
    </message>
    <message>
        <source>Chars/token</source>
        <translation>字符/词元</translation>
    </message>
    <message>
        <source>Chinese ÷ English</source>
        <translation>中文 ÷ 英文</translation>
    </message>
    <message>
        <source>characters per token (sample texts)</source>
        <translation>每个词元的字符数（示例文本）</translation>
    </message>
    <message>
        <source>Tokenizer lab</source>
        <translation>分词器实验</translation>
    </message>
    <message>
        <source>How the model cuts a text into tokens, beside a SentencePiece tokenizer trained here; the table shows what the same meaning costs in English and in Chinese.</source>
        <translation>模型如何把文本切成词元，旁边是在这里现场训练的 SentencePiece 分词器；表格显示同样的意思用英文和中文各需要多少词元。</translation>
    </message>
    <message>
        <source>Training corpus folder</source>
        <translation>训练语料文件夹</translation>
    </message>
    <message>
        <source>no model</source>
        <translation>无模型</translation>
    </message>
    <message>
        <source>{name}: load a model to see its tokens</source>
        <translation>{name}：加载模型后可查看其词元</translation>
    </message>
    <message>
        <source>{name}: {n} tokens, {c:.2f} chars/token, {w:.2f} tokens/word</source>
        <translation>{name}：{n} 个词元，{c:.2f} 字符/词元，{w:.2f} 词元/词</translation>
    </message>
    <message>
        <source>English</source>
        <translation>英文</translation>
    </message>
    <message>
        <source>Chinese</source>
        <translation>中文</translation>
    </message>
</context>
<context>
    <name>TokensPanel</name>
    <message>
        <source>Prompt after the chat template</source>
        <translation>套用对话模板后的提示词</translation>
    </message>
    <message>
        <source>Exactly the tokens the model receives: your messages wrapped in the model&apos;s chat template. Special tokens are outlined; dashed chips are single bytes of a character. Hover a chip for its id.</source>
        <translation>这正是模型收到的词元：你的消息被包进了模型的对话模板。特殊词元带有边框；虚线框表示某个字符的单个字节。将鼠标悬停在词元上可查看其 ID。</translation>
    </message>
    <message>
        <source>Tokenize this text</source>
        <translation>对这段文字分词</translation>
    </message>
    <message>
        <source>Type or paste any text to see its tokens…</source>
        <translation>输入或粘贴任意文字，查看它被切分成哪些词元…</translation>
    </message>
    <message>
        <source>Text to tokenize</source>
        <translation>要分词的文字</translation>
    </message>
    <message>
        <source>Tokenized as a chat message is: markers such as &lt;|im_end|&gt; are plain text here, never control tokens.</source>
        <translation>按聊天消息的方式切分：这里 &lt;|im_end|&gt; 之类的标记是普通文本，绝不会成为控制词元。</translation>
    </message>
    <message>
        <source>Tokenized live with the loaded model&apos;s vocabulary</source>
        <translation>使用已加载模型的词表实时分词</translation>
    </message>
    <message>
        <source>Load a model to tokenize text with its vocabulary</source>
        <translation>加载模型后即可用它的词表分词</translation>
    </message>
    <message>
        <source>No prompt yet: send a message.</source>
        <translation>还没有提示词：先发送一条消息吧。</translation>
    </message>
    <message>
        <source>{n} tokens ({s} special) · {c} characters · {r:.2f} characters per text token</source>
        <translation>{n} 个词元（{s} 个特殊词元）· {c} 个字符 · 平均每个文本词元 {r:.2f} 个字符</translation>
    </message>
</context>
<context>
    <name>Worker</name>
    <message>
        <source>Something went wrong: %1. The details are in the log file; please try again, or report the problem.</source>
        <extracomment>How often the UI hears about a growing reply (seconds).</extracomment>
        <translation>出错了：%1。详细信息已写入日志文件；请重试，或报告这个问题。</translation>
    </message>
    <message>
        <source>Checking the llama.cpp build…</source>
        <extracomment>the reply node&apos;s id (the node exists now) node id, the ContextPlan (None for a branch) node id: its content/traces grew since the last signal node id, finish reason a message for the user always last</extracomment>
        <translation>正在检查 llama.cpp 版本…</translation>
    </message>
    <message>
        <source>Loading %1…</source>
        <translation>正在加载 %1…</translation>
    </message>
</context>
</TS>
