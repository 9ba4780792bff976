"""Order fulfilment by event collaboration on Kafka, with Faust."""
