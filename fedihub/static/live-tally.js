// The tally arrives as server-sent events whenever a vote changes it. The stream's address and
// the translated words come from data- attributes on this script's tag.
"use strict";
(() => {
  const words = document.currentScript.dataset;
  const source = new EventSource(words.stream);
  source.onmessage = (message) => {
    const state = JSON.parse(message.data);
    state.options.forEach((option, i) => {
      document.querySelector(`[data-option="${i}"]`).textContent = option.votes;
      const share = state.voters ? Math.round(100 * option.votes / state.voters) : 0;
      document.querySelector(`[data-bar="${i}"]`).style.width = share + "%";
    });
    document.getElementById("voters").textContent = state.voters;
    document.getElementById("status").textContent = state.closed ? words.closed : words.open;
    if (state.closed) source.close();  // final: the server ends the stream, so don't reconnect
    document.getElementById("result").value = state.result;
    document.getElementById("result-label").textContent = state.closed ? words.result : words.resultSoFar;
    const blocks = document.getElementById("blocks");
    blocks.hidden = state.blocks.length === 0;
    blocks.textContent = state.blocks.length + " " + words.blocks;
  };
})();
