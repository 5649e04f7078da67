//! The picture as a video, for slides and chat: while recording, every animation frame draws the picture
//! (with its moving tokens) into a canvas, whose stream the browser's MediaRecorder encodes as WebM; Stop
//! saves the file. What is recorded is what the run shows meanwhile: play it, step it, scrub it.
//!
//! The frame loop and the recorder are a few lines of JavaScript: the same written in Rust through
//! web-sys cost 4.5 KB of the first load (a binding per browser call), this 1 KB. The picture itself is
//! serialized by `browser::svg_document`, as for the SVG and PNG exports.
use wasm_bindgen::prelude::*;

const PICTURE: &str = "[data-testid=canvas]";
const TOKENS: &str = "[data-testid=canvas-tokens] > g";

#[wasm_bindgen(inline_js = r#"
export function record(width, height, frame, save) {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  const stage = document.querySelector('[data-testid=stage]');
  const background = stage ? getComputedStyle(stage).backgroundColor : '#fff';
  const recorder = new MediaRecorder(canvas.captureStream(30), { mimeType: 'video/webm' });
  const chunks = [];
  let busy = false, on = true;
  recorder.ondataavailable = (e) => chunks.push(e.data);
  recorder.onstop = () => save(new Blob(chunks, { type: 'video/webm' }));
  const draw = () => {
    if (!on) return;
    const svg = busy ? undefined : frame();
    if (svg) {
      busy = true;
      const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
      const image = new Image();
      const done = () => { URL.revokeObjectURL(url); busy = false; };
      image.onload = () => {
        context.fillStyle = background;
        context.fillRect(0, 0, width, height);
        context.drawImage(image, 0, 0);
        done();
      };
      image.onerror = done;
      image.src = url;
    }
    requestAnimationFrame(draw);
  };
  recorder.start();
  draw();
  return () => { on = false; recorder.stop(); };
}
"#)]
extern "C" {
    /// Starts recording; returns the function that stops it. Throws where MediaRecorder or WebM is missing.
    #[wasm_bindgen(catch)]
    fn record(
        width: u32,
        height: u32,
        frame: &Closure<dyn FnMut() -> Option<String>>,
        save: &Closure<dyn FnMut(web_sys::Blob)>,
    ) -> Result<js_sys::Function, JsValue>;
}

/// A recording in progress; `stop` ends it and saves the video.
pub struct Recorder {
    stop: js_sys::Function,
    // Called by the recording until it stops and saves.
    _frame: Closure<dyn FnMut() -> Option<String>>,
    _save: Closure<dyn FnMut(web_sys::Blob)>,
}

impl Recorder {
    /// Starts recording the picture at its size now, or says why it cannot.
    pub fn start(file_name: String) -> Result<Recorder, &'static str> {
        let (_, width, height) = super::browser::svg_document(PICTURE, None).ok_or("there is no picture to record")?;
        let frame = Closure::<dyn FnMut() -> Option<String>>::new(|| {
            super::browser::svg_document(PICTURE, Some(TOKENS)).map(|(svg, ..)| svg)
        });
        let save = Closure::<dyn FnMut(web_sys::Blob)>::new(move |video: web_sys::Blob| {
            super::browser::download(gloo::file::Blob::from(video), &file_name);
        });
        // Even sizes: video encoders want them.
        let (width, height) = ((width as u32).next_multiple_of(2), (height as u32).next_multiple_of(2));
        let stop = record(width, height, &frame, &save).map_err(|_| "this browser cannot record WebM video")?;
        Ok(Recorder { stop, _frame: frame, _save: save })
    }

    /// Ends the recording; the video is saved once the browser has encoded its last frames (the closures
    /// stay alive for that: they are leaked, a few bytes per recording).
    pub fn stop(self) {
        let _ = self.stop.call0(&JsValue::NULL);
        std::mem::forget(self._frame);
        std::mem::forget(self._save);
    }
}
