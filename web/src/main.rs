//! Entry point of the terminal (thin, as in the Leptos examples): mount [`bourse_web::App`].

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(bourse_web::App);
}
